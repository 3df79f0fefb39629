//go:build unix && !(darwin || linux || openbsd || illumos || freebsd || netbsd || dragonfly)

package phttp

import "golang.org/x/sys/unix"

// writev writes the first non-empty buffer only: golang.org/x/sys/unix has
// no Writev here (Solaris, AIX) and these systems make calls through libc,
// not raw syscall numbers. A short write is always allowed on a stream
// socket; the loop writes the rest next time.
func writev(fd int, bufs [][]byte) (int, error) {
	for _, b := range bufs {
		if len(b) > 0 {
			return unix.Write(fd, b)
		}
	}
	return 0, nil
}
