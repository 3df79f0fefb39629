//go:build unix

package http_test

import "syscall"

// descriptorLimit is RLIMIT_NOFILE's soft limit, or 0 if unknown.
func descriptorLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return uint64(lim.Cur)
}
