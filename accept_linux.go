//go:build linux

package phttp

import "golang.org/x/sys/unix"

// acceptNonblock uses accept4 so that the new socket is non-blocking and
// close-on-exec with no window for a concurrent fork to inherit it.
func acceptNonblock(l int) (int, unix.Sockaddr, error) {
	return unix.Accept4(l, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}
