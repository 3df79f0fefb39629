//go:build unix && !linux

package phttp

import "golang.org/x/sys/unix"

// acceptNonblock: macOS has no accept4, so the flags are set after accept.
func acceptNonblock(l int) (int, unix.Sockaddr, error) {
	fd, sa, err := unix.Accept(l)
	if err != nil {
		return -1, nil, err
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, nil, err
	}
	return fd, sa, nil
}
