//go:build linux

package phttp

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// sendfileWorks: Linux's sendfile(2) takes any socket as its destination.
const sendfileWorks = true

// sendFile sends n bytes of the file behind raw, from off, to the
// non-blocking socket s: errWouldBlock when the socket takes nothing now.
func sendFile(s sysSocket, raw syscall.RawConn, off int64, n int64) (int, error) {
	var sent int
	var serr error
	cerr := raw.Control(func(fd uintptr) {
		for {
			o := off
			sent, serr = unix.Sendfile(int(s), int(fd), &o, int(n))
			if serr != unix.EINTR {
				return
			}
		}
	})
	switch {
	case cerr != nil:
		return 0, cerr
	case serr == unix.EAGAIN: // a call that fails sent nothing
		return 0, errWouldBlock
	case serr != nil:
		return 0, os.NewSyscallError("sendfile", serr)
	}
	return sent, nil
}
