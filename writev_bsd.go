//go:build freebsd || netbsd || dragonfly

package phttp

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// iovMax is IOV_MAX on these systems; a longer list is written in part,
// which a stream socket always allows.
const iovMax = 1024

// writev calls writev(2) directly: golang.org/x/sys/unix has no Writev for
// these systems.
func writev(fd int, bufs [][]byte) (int, error) {
	var stack [16]unix.Iovec
	iovs := stack[:0]
	for _, b := range bufs {
		if len(iovs) == iovMax {
			break
		}
		if len(b) == 0 {
			continue
		}
		iov := unix.Iovec{Base: &b[0]}
		iov.SetLen(len(b))
		iovs = append(iovs, iov)
	}
	if len(iovs) == 0 {
		return 0, nil
	}
	n, _, e := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iovs[0])), uintptr(len(iovs)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
