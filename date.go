package phttp

import (
	"sync/atomic"
	"time"
)

// dateCache holds the Date header value, formatted once per second rather
// than once per response.
type dateCache struct {
	second int64
	buf    [29]byte
	value  []byte // "Mon, 02 Jan 2006 15:04:05 GMT", in buf
}

func (d *dateCache) get(now time.Time) []byte {
	if sec := now.Unix(); sec != d.second || d.value == nil {
		d.second = sec
		d.value = httpDate(&d.buf, now)
	}
	return d.value
}

// dateStamp is one second's Date value, for answers that other goroutines
// frame (detached Flush and Send), which cannot use the loop's dateCache.
type dateStamp struct {
	second int64
	value  [29]byte
}

var lastDate atomic.Pointer[dateStamp]

// sharedDate returns the Date value for now in buf, formatting it only
// when the second changed since any goroutine last asked. Any goroutine.
func sharedDate(buf *[29]byte) []byte {
	now := time.Now()
	d := lastDate.Load()
	if d == nil || d.second != now.Unix() {
		d = &dateStamp{second: now.Unix()}
		httpDate(&d.value, now)
		lastDate.Store(d)
	}
	*buf = d.value
	return buf[:]
}
