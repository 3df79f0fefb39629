package async

import (
	"errors"
	"syscall"
	"time"
)

// setSmallWindow gives a client socket a small receive buffer. Windows has
// no TCP_MAXSEG to set; the tests that lower the segment size only wait
// longer there for a stalled client's queue to fill.
func setSmallWindow(fd uintptr, rcvbuf, _ int) error {
	return syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
}

// processCPU is the user and kernel CPU time the process used so far.
func processCPU() time.Duration {
	var creation, exit, kernel, user syscall.Filetime
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0
	}
	if err := syscall.GetProcessTimes(h, &creation, &exit, &kernel, &user); err != nil {
		return 0
	}
	// Filetime counts 100 ns intervals.
	ticks := func(f syscall.Filetime) int64 { return int64(f.HighDateTime)<<32 | int64(f.LowDateTime) }
	return time.Duration((ticks(kernel) + ticks(user)) * 100)
}

// isReset reports whether err says the peer reset the connection.
func isReset(err error) bool { return errors.Is(err, syscall.WSAECONNRESET) }
