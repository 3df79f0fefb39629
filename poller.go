package phttp

import (
	"errors"
	"time"
)

// sysSocket is an OS socket: a file descriptor on Unix, a SOCKET handle on
// Windows. Only the loop goroutine uses one.
type sysSocket uintptr

// pollEvent is one readiness report. token is what the loop registered the
// socket with; it never names a socket by its descriptor, because descriptors
// are reused and handles on Windows are not small integers.
type pollEvent struct {
	token    uint64
	readable bool // data, EOF or an error is waiting: a read will not block
	writable bool // a write will not block
	// hangup: the socket is dead in both directions or in error
	// (EPOLLHUP/EPOLLERR, POLLERR/POLLNVAL). A half-close by the peer is
	// only readable: the client may still be waiting for its answer.
	hangup bool
}

// poller is the OS readiness API the loop runs on (epoll, poll(2) or
// WSAPoll). Every method but wake is called only by the loop goroutine; wake
// may be called from any goroutine, many times, and folds into one wake-up.
type poller interface {
	// add registers s, asking for readability only.
	add(s sysSocket, token uint64) error
	// modify changes what s is watched for. Zero keeps s registered but
	// silent (a paused connection whose queue is empty).
	modify(s sysSocket, token uint64, want interest) error
	// remove forgets s; it is called before s is closed.
	remove(s sysSocket) error
	// wait blocks until a socket is ready, wake is called, or timeout
	// passes (timeout < 0 waits forever). It appends to evs[:0] and
	// returns it. A wake-up is consumed inside wait and never reported
	// as an event; EINTR returns no events and no error.
	wait(evs []pollEvent, timeout time.Duration) ([]pollEvent, error)
	// wake makes a blocked or the next wait return. Any goroutine; also
	// safe from a signal-handling goroutine.
	wake() error
	// close releases the poller's own descriptors.
	close() error
	// descriptor is one descriptor that turns readable whenever wait
	// would report something, for a foreign event loop; false where the
	// backend has none (a poll set).
	descriptor() (uintptr, bool)
}

// interest is what the loop asks the poller to report for a socket.
type interest uint8

const (
	wantRead  interest = 1 << iota // data, EOF or an error to read
	wantWrite                      // room to write
	// wantHangup asks only for the peer's FIN or an error, not for data:
	// a connection whose detached answer is in progress must notice a
	// client that went away, while the requests it pipelined behind that
	// answer stay in the kernel. It is reported as readable.
	wantHangup
)

// Errors the platform socket functions report so that the loop can branch
// without knowing the platform.
var (
	// errWouldBlock: nothing to accept/read, or no room to write, now.
	errWouldBlock = errors.New("phttp: operation would block")
	// errNoDescriptors: accept failed for lack of descriptors or buffers
	// (EMFILE, ENFILE, ENOBUFS, ENOMEM, WSAEMFILE, WSAENOBUFS). The loop
	// backs off instead of ending.
	errNoDescriptors = errors.New("phttp: out of descriptors")
)

// The platform files (socket_unix.go, socket_windows.go) provide:
//
//	newPoller() (poller, error)
//	ownSocket(l any) (sysSocket, error)                    // a non-blocking duplicate of a listener's or connection's socket
//	localAddr(s sysSocket) net.Addr                        // getsockname
//	setNoDelay(s sysSocket)                                // TCP_NODELAY
//	acceptSocket(l sysSocket) (sysSocket, net.Addr, error) // non-blocking, TCP_NODELAY when TCP; errWouldBlock, errNoDescriptors
//	readSocket(s sysSocket, p []byte) (int, error)         // 0, io.EOF at end; errWouldBlock
//	writeSockets(s sysSocket, bufs [][]byte) (int, error)  // writev; errWouldBlock when nothing was written
//	shutdownWrite(s sysSocket) error
//	setResetOnClose(s sysSocket) error                     // SO_LINGER 0: close sends RST
//	closeSocket(s sysSocket) error
