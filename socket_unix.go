//go:build unix

package phttp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ownSocket duplicates the descriptor of l (a listener, or a connection
// for AddConn) so that the loop owns a socket of its own: the runtime's
// poller keeps l's, and closing l later (which unlinks a unix socket's
// path) does not pull the socket from under the loop.
func ownSocket(l any) (sysSocket, error) {
	sc, ok := l.(syscall.Conn)
	if !ok {
		return 0, fmt.Errorf("phttp: %T exposes no socket", l)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var fd int
	var dupErr error
	if err := raw.Control(func(s uintptr) {
		fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return 0, err
	}
	if dupErr != nil {
		return 0, os.NewSyscallError("fcntl", dupErr)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return 0, os.NewSyscallError("setnonblock", err)
	}
	return sysSocket(fd), nil
}

func acceptSocket(l sysSocket) (sysSocket, net.Addr, error) {
	fd, sa, err := acceptNonblock(int(l))
	if err != nil {
		switch {
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR), errors.Is(err, unix.ECONNABORTED):
			return 0, nil, errWouldBlock
		case errors.Is(err, unix.EMFILE), errors.Is(err, unix.ENFILE),
			errors.Is(err, unix.ENOBUFS), errors.Is(err, unix.ENOMEM):
			return 0, nil, errNoDescriptors
		}
		return 0, nil, os.NewSyscallError("accept", err)
	}
	if _, isTCP := sa.(*unix.SockaddrInet4); isTCP {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	} else if _, isTCP6 := sa.(*unix.SockaddrInet6); isTCP6 {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	return sysSocket(fd), sockaddrToAddr(sa), nil
}

// localAddr is the address s is bound to, or nil.
func localAddr(s sysSocket) net.Addr {
	sa, err := unix.Getsockname(int(s))
	if err != nil {
		return nil
	}
	return sockaddrToAddr(sa)
}

// setNoDelay turns off Nagle's algorithm on a TCP socket.
func setNoDelay(s sysSocket) { unix.SetsockoptInt(int(s), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) }

func sockaddrToAddr(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		addr := &net.TCPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				addr.Zone = ifi.Name
			}
		}
		return addr
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return &net.UnixAddr{Net: "unix"}
}

func readSocket(s sysSocket, p []byte) (int, error) {
	for {
		n, err := unix.Read(int(s), p)
		switch {
		case err == nil && n == 0:
			return 0, io.EOF
		case err == nil:
			return n, nil
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, errWouldBlock
		}
		return 0, os.NewSyscallError("read", err)
	}
}

func writeSockets(s sysSocket, bufs [][]byte) (int, error) {
	for {
		n, err := writev(int(s), bufs)
		switch {
		case err == nil:
			return n, nil
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, errWouldBlock
		}
		return 0, os.NewSyscallError("writev", err)
	}
}

func shutdownWrite(s sysSocket) error { return unix.Shutdown(int(s), unix.SHUT_WR) }

// setResetOnClose makes the next close send RST instead of FIN.
func setResetOnClose(s sysSocket) error {
	return unix.SetsockoptLinger(int(s), unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
}

func closeSocket(s sysSocket) error { return unix.Close(int(s)) }
