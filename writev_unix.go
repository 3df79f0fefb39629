//go:build darwin || linux || openbsd || illumos

package phttp

import "golang.org/x/sys/unix"

// writev is unix.Writev where golang.org/x/sys provides it.
func writev(fd int, bufs [][]byte) (int, error) { return unix.Writev(fd, bufs) }
