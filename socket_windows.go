//go:build windows

package phttp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Winsock itself is started by the standard library (internal/poll calls
// WSAStartup when package net is initialised), and this package imports
// net, so nothing here calls WSAStartup.

// ownSocket gives the loop a socket of its own that refers to the same
// endpoint as l (a listener, or a connection for AddConn).
//
// The runtime created l's SOCKET and associated it with its I/O completion
// port; closing l closes that handle. Using the handle directly would let
// the caller's l.Close pull it from under the loop (or, worse, let the
// handle value be reused for another object). Creating a second socket
// bound to the same address would need SO_REUSEADDR, which on Windows lets
// two sockets share a port and splits connections between them. So the
// handle is duplicated with WSADuplicateSocket for this very process and
// opened again with WSASocket(FROM_PROTOCOL_INFO), the documented way to
// share a socket (DuplicateHandle is not, because of layered providers).
// The endpoint stays open until both handles are closed.
//
// Consequences worth knowing: the two handles share one endpoint, so the
// non-blocking mode set here applies to l's handle as well, and both share
// the runtime's completion port. The loop only calls the synchronous
// accept on it, which queues no completion packets, and the caller must not
// call l.Accept while the loop serves (each connection would go to one of
// them).
func ownSocket(l any) (sysSocket, error) {
	sc, ok := l.(syscall.Conn)
	if !ok {
		return 0, fmt.Errorf("phttp: %T exposes no socket", l)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var info windows.WSAProtocolInfo
	var dupErr error
	if err := raw.Control(func(s uintptr) {
		dupErr = windows.WSADuplicateSocket(windows.Handle(s), windows.GetCurrentProcessId(), &info)
	}); err != nil {
		return 0, err
	}
	if dupErr != nil {
		return 0, os.NewSyscallError("wsaduplicatesocket", dupErr)
	}
	s, err := windows.WSASocket(fromProtocolInfo, fromProtocolInfo, fromProtocolInfo, &info, 0,
		windows.WSA_FLAG_OVERLAPPED|windows.WSA_FLAG_NO_HANDLE_INHERIT)
	if err != nil {
		return 0, os.NewSyscallError("wsasocket", err)
	}
	if err := setNonblock(s); err != nil {
		windows.Closesocket(s)
		return 0, os.NewSyscallError("ioctlsocket", err)
	}
	return sysSocket(s), nil
}

func acceptSocket(l sysSocket) (sysSocket, net.Addr, error) {
	var rsa windows.RawSockaddrAny
	n := int32(unsafe.Sizeof(rsa))
	s, err := accept(windows.Handle(l), &rsa, &n)
	if err != nil {
		switch {
		// WSAECONNRESET: the client reset the connection while it
		// waited in the backlog; there may be others behind it.
		case errors.Is(err, windows.WSAEWOULDBLOCK), errors.Is(err, windows.WSAECONNRESET),
			errors.Is(err, windows.WSAEINTR):
			return 0, nil, errWouldBlock
		case errors.Is(err, windows.WSAEMFILE), errors.Is(err, windows.WSAENOBUFS):
			return 0, nil, errNoDescriptors
		}
		return 0, nil, os.NewSyscallError("accept", err)
	}
	// An accepted socket inherits the listener's non-blocking mode, but
	// the loop must not depend on how the listener was made.
	if err := setNonblock(s); err != nil {
		windows.Closesocket(s)
		return 0, nil, os.NewSyscallError("ioctlsocket", err)
	}
	// Keep the socket out of child processes that inherit handles.
	windows.SetHandleInformation(s, windows.HANDLE_FLAG_INHERIT, 0)
	sa, _ := rsa.Sockaddr()
	switch sa.(type) {
	case *windows.SockaddrInet4, *windows.SockaddrInet6:
		windows.SetsockoptInt(s, windows.IPPROTO_TCP, windows.TCP_NODELAY, 1)
	}
	return sysSocket(s), winSockaddrToAddr(sa), nil
}

// localAddr is the address s is bound to, or nil.
func localAddr(s sysSocket) net.Addr {
	sa, err := windows.Getsockname(windows.Handle(s))
	if err != nil {
		return nil
	}
	return winSockaddrToAddr(sa)
}

// setNoDelay turns off Nagle's algorithm on a TCP socket.
func setNoDelay(s sysSocket) {
	windows.SetsockoptInt(windows.Handle(s), windows.IPPROTO_TCP, windows.TCP_NODELAY, 1)
}

func winSockaddrToAddr(sa windows.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *windows.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *windows.SockaddrInet6:
		addr := &net.TCPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				addr.Zone = ifi.Name
			}
		}
		return addr
	case *windows.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return &net.UnixAddr{Net: "unix"}
}

// readSocket returns io.EOF on an orderly close. A reset
// (WSAECONNRESET, WSAECONNABORTED) is returned as an error: for the loop
// either one is the end of the connection.
func readSocket(s sysSocket, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := recv(windows.Handle(s), p)
	switch {
	case err == nil && n == 0:
		return 0, io.EOF
	case err == nil:
		return n, nil
	case errors.Is(err, windows.WSAEWOULDBLOCK):
		return 0, errWouldBlock
	}
	return 0, os.NewSyscallError("recv", err)
}

// writeSockets is writev: one WSASend over every buffer, so the kernel sees
// the queue in one call. Up to 16 buffers need no allocation.
func writeSockets(s sysSocket, bufs [][]byte) (int, error) {
	var stack [16]windows.WSABuf
	wbufs := stack[:0]
	if len(bufs) > len(stack) {
		wbufs = make([]windows.WSABuf, 0, len(bufs))
	}
	total := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		n := min(len(b), maxIO-total) // the whole call stays within an int32
		if n == 0 {
			break
		}
		wbufs = append(wbufs, windows.WSABuf{Len: uint32(n), Buf: &b[0]})
		total += n
		if n < len(b) {
			break
		}
	}
	if len(wbufs) == 0 {
		return 0, nil
	}
	var sent uint32
	err := windows.WSASend(windows.Handle(s), &wbufs[0], uint32(len(wbufs)), &sent, 0, nil, nil)
	switch {
	case err == nil:
		return int(sent), nil
	case errors.Is(err, windows.WSAEWOULDBLOCK):
		return 0, errWouldBlock
	}
	return 0, os.NewSyscallError("wsasend", err)
}

func shutdownWrite(s sysSocket) error {
	if err := windows.Shutdown(windows.Handle(s), windows.SHUT_WR); err != nil {
		return os.NewSyscallError("shutdown", err)
	}
	return nil
}

// setResetOnClose makes the next close send RST instead of FIN.
func setResetOnClose(s sysSocket) error {
	return windows.SetsockoptLinger(windows.Handle(s), windows.SOL_SOCKET, windows.SO_LINGER, &windows.Linger{Onoff: 1, Linger: 0})
}

func closeSocket(s sysSocket) error {
	if err := windows.Closesocket(windows.Handle(s)); err != nil {
		return os.NewSyscallError("closesocket", err)
	}
	return nil
}
