//go:build linux

package phttp

import "golang.org/x/sys/unix"

// unsentBytes reports how many bytes the kernel holds for s that the peer
// has not acknowledged (SIOCOUTQ). The write timer uses it to tell a slow
// reader, whose count falls as it reads, from a stalled one, whose count
// stays put: the loop's own writes only succeed again once a third of the
// send buffer is free, which a slow reader may take longer than
// WriteTimeout to drain.
func unsentBytes(s sysSocket) (int, bool) {
	n, err := unix.IoctlGetInt(int(s), unix.SIOCOUTQ)
	return n, err == nil
}
