package phttp

import "time"

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
