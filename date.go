package phttp

import "time"

// dateCache holds the Date header value, formatted once per second rather
// than once per response.
type dateCache struct {
	second int64
	value  []byte // "Mon, 02 Jan 2006 15:04:05 GMT"
}

func (d *dateCache) get(now time.Time) []byte {
	if sec := now.Unix(); sec != d.second || d.value == nil {
		d.second = sec
		d.value = now.UTC().AppendFormat(d.value[:0], "Mon, 02 Jan 2006 15:04:05 GMT")
	}
	return d.value
}
