//go:build windows

package phttp

import (
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// loopbackPair makes the connected TCP pair on 127.0.0.1 that wakes
// WSAPoll: Windows has no eventfd or pipe that WSAPoll can watch, and a
// polling tick would cost wake-ups and latency. rd goes in the poll set; a
// byte sent on wr makes it readable. rd is non-blocking, for draining; wr
// stays blocking, so that a send is never refused for a reason other than
// a broken pair (the fold flag keeps its buffer all but empty).
//
// The listener exists only for the duration of the call, bound to an
// ephemeral port with SO_EXCLUSIVEADDRUSE so no other socket can share the
// port. Another local process could still connect to it in that window, so
// the accepted socket's peer address must be our own connecting socket's
// address; a stranger is closed and the next connection in the backlog
// accepted.
func loopbackPair() (rd, wr windows.Handle, err error) {
	ln, err := newLoopbackSocket()
	if err != nil {
		return 0, 0, err
	}
	defer windows.Closesocket(ln)
	if err := windows.SetsockoptInt(ln, windows.SOL_SOCKET, soExclusiveAddrUse, 1); err != nil {
		return 0, 0, os.NewSyscallError("setsockopt", err)
	}
	if err := windows.Bind(ln, &windows.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return 0, 0, os.NewSyscallError("bind", err)
	}
	if err := windows.Listen(ln, 4); err != nil {
		return 0, 0, os.NewSyscallError("listen", err)
	}
	lsa, err := windows.Getsockname(ln)
	if err != nil {
		return 0, 0, os.NewSyscallError("getsockname", err)
	}
	wr, err = newLoopbackSocket()
	if err != nil {
		return 0, 0, err
	}
	rd, err = acceptOwnConnection(ln, wr, lsa)
	if err != nil {
		windows.Closesocket(wr)
		return 0, 0, err
	}
	windows.SetHandleInformation(rd, windows.HANDLE_FLAG_INHERIT, 0)
	// The wake byte must leave at once, not wait for an ACK of the last one.
	windows.SetsockoptInt(wr, windows.IPPROTO_TCP, windows.TCP_NODELAY, 1)
	if err := setNonblock(rd); err != nil {
		windows.Closesocket(rd)
		windows.Closesocket(wr)
		return 0, 0, os.NewSyscallError("ioctlsocket", err)
	}
	return rd, wr, nil
}

func newLoopbackSocket() (windows.Handle, error) {
	s, err := windows.WSASocket(windows.AF_INET, windows.SOCK_STREAM, windows.IPPROTO_TCP, nil, 0,
		windows.WSA_FLAG_OVERLAPPED|windows.WSA_FLAG_NO_HANDLE_INHERIT)
	if err != nil {
		return 0, os.NewSyscallError("wsasocket", err)
	}
	return s, nil
}

// acceptOwnConnection connects wr to the listener ln (blocking: on
// loopback it completes at once) and accepts until it gets that very
// connection. The accept never blocks for long: ours is already in the
// backlog once connect returns.
func acceptOwnConnection(ln, wr windows.Handle, lsa windows.Sockaddr) (windows.Handle, error) {
	if err := windows.Connect(wr, lsa); err != nil {
		return 0, os.NewSyscallError("connect", err)
	}
	own, err := windows.Getsockname(wr)
	if err != nil {
		return 0, os.NewSyscallError("getsockname", err)
	}
	for range 8 {
		var rsa windows.RawSockaddrAny
		n := int32(unsafe.Sizeof(rsa))
		rd, err := accept(ln, &rsa, &n)
		if err != nil {
			return 0, os.NewSyscallError("accept", err)
		}
		if peer, err := rsa.Sockaddr(); err == nil && sameInet4(peer, own) {
			return rd, nil
		}
		windows.Closesocket(rd)
	}
	return 0, errors.New("phttp: wake-up pair: other connections kept arriving on the loopback listener")
}

func sameInet4(a, b windows.Sockaddr) bool {
	x, ok1 := a.(*windows.SockaddrInet4)
	y, ok2 := b.(*windows.SockaddrInet4)
	return ok1 && ok2 && x.Port == y.Port && x.Addr == y.Addr
}
