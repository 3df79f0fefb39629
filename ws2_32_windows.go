//go:build windows

package phttp

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The Winsock calls golang.org/x/sys/windows does not wrap. They are bound
// from ws2_32.dll by hand, in the style mkwinsyscall generates, so that the
// module needs no code generator and no cgo.

var (
	modws2_32 = windows.NewLazySystemDLL("ws2_32.dll")

	procWSAPoll     = modws2_32.NewProc("WSAPoll")
	procIoctlsocket = modws2_32.NewProc("ioctlsocket")
	procAccept      = modws2_32.NewProc("accept")
	procRecv        = modws2_32.NewProc("recv")
	procSend        = modws2_32.NewProc("send")
)

// wsaPollFD is WSAPOLLFD: a SOCKET, then two SHORTs.
type wsaPollFD struct {
	fd      windows.Handle
	events  int16
	revents int16
}

// WSAPoll flags (winsock2.h). Only POLLRDNORM and POLLWRNORM may be asked
// for in events; the others appear only in revents.
const (
	pollRDNORM = 0x0100
	pollRDBAND = 0x0200
	pollWRNORM = 0x0010
	pollERR    = 0x0001
	pollHUP    = 0x0002
	pollNVAL   = 0x0004
)

const (
	fionbio            = 0x8004667e // _IOW('f', 126, u_long)
	socketError        = -1         // SOCKET_ERROR
	fromProtocolInfo   = -1         // FROM_PROTOCOL_INFO
	soExclusiveAddrUse = ^int(windows.SO_REUSEADDR)
)

// wsaPoll returns the number of ready sockets, 0 on timeout. timeout < 0
// waits forever.
func wsaPoll(fds []wsaPollFD, timeout int) (int, error) {
	if len(fds) == 0 {
		return 0, windows.WSAEINVAL
	}
	r, _, e := syscall.SyscallN(procWSAPoll.Addr(), uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)), uintptr(timeout))
	if int32(r) == socketError {
		return 0, wsaErr(e)
	}
	return int(int32(r)), nil
}

func ioctlsocket(s windows.Handle, cmd uint32, arg *uint32) error {
	r, _, e := syscall.SyscallN(procIoctlsocket.Addr(), uintptr(s), uintptr(cmd), uintptr(unsafe.Pointer(arg)))
	if int32(r) == socketError {
		return wsaErr(e)
	}
	return nil
}

func setNonblock(s windows.Handle) error {
	on := uint32(1)
	return ioctlsocket(s, fionbio, &on)
}

func accept(s windows.Handle, rsa *windows.RawSockaddrAny, addrlen *int32) (windows.Handle, error) {
	r, _, e := syscall.SyscallN(procAccept.Addr(), uintptr(s), uintptr(unsafe.Pointer(rsa)), uintptr(unsafe.Pointer(addrlen)))
	if windows.Handle(r) == windows.InvalidHandle {
		return windows.InvalidHandle, wsaErr(e)
	}
	return windows.Handle(r), nil
}

func recv(s windows.Handle, p []byte) (int, error) {
	var b *byte
	if len(p) > 0 {
		b = &p[0]
	}
	r, _, e := syscall.SyscallN(procRecv.Addr(), uintptr(s), uintptr(unsafe.Pointer(b)), uintptr(clampLen(len(p))), 0)
	if int32(r) == socketError {
		return 0, wsaErr(e)
	}
	return int(int32(r)), nil
}

func send(s windows.Handle, p []byte) (int, error) {
	var b *byte
	if len(p) > 0 {
		b = &p[0]
	}
	r, _, e := syscall.SyscallN(procSend.Addr(), uintptr(s), uintptr(unsafe.Pointer(b)), uintptr(clampLen(len(p))), 0)
	if int32(r) == socketError {
		return 0, wsaErr(e)
	}
	return int(int32(r)), nil
}

// clampLen keeps a length inside Winsock's int (and WSABUF's ULONG); a
// short transfer is always allowed on a stream socket.
func clampLen(n int) int { return min(n, maxIO) }

const maxIO = 1 << 30

// wsaErr turns a failed call's last error into an error value; an error
// code of 0 after a failure should not happen, but is not reported as
// success.
func wsaErr(e syscall.Errno) error {
	if e == 0 {
		return windows.WSAEINVAL
	}
	return e
}
