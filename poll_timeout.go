//go:build !linux || phttp_poll

package phttp

import "time"

// timeoutMillis turns a poll timeout into the milliseconds the OS calls
// take, rounding up so that a timer due in 0.3 ms does not spin the loop.
func timeoutMillis(d time.Duration) int {
	if d < 0 {
		return -1
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > 1<<30 {
		ms = 1 << 30
	}
	return int(ms)
}
