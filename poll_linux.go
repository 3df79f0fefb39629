//go:build linux && !phttp_poll

package phttp

import (
	"encoding/binary"
	"errors"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// epollPoller is level-triggered: a connection whose pipeline is full simply
// stops asking for EPOLLIN and keeps its unread bytes in the kernel, and a
// connection read once per turn is reported again next turn, so no
// connection can starve the others. poll(2) and WSAPoll are level-triggered
// too, so the loop has one behaviour on every platform.
//
// The loop never sleeps in epoll_wait itself. A goroutine blocked in a
// syscall keeps its P until the runtime's monitor takes it back (up to
// 10 ms later), so other goroutines of the program — a broadcaster, a
// client in the same process — would stall behind an idle loop; with
// GOMAXPROCS=1 a loopback round trip took 200 µs. Instead the epoll
// descriptor, which is itself pollable, is registered with the runtime's
// poller: the loop polls with a zero timeout and, when nothing is ready,
// parks like any goroutine blocked on a socket, with timers as a read
// deadline.
type epollPoller struct {
	epfd    int
	file    *os.File        // epfd as the runtime poller sees it
	rawFile syscall.RawConn // parks the loop until epfd is readable
	// pollOnce is p.pollReady as a func made once: a closure built per
	// wait would escape to the heap on every turn. It leaves its results
	// in ready and readyErr.
	pollOnce func(uintptr) bool
	ready    int
	readyErr error
	deadline time.Time // the read deadline set on file
	eventfd  int
	// wakeup writes to eventfd; it is the one part shared with every
	// goroutine.
	wakeup wakeSignal
	raw    []unix.EpollEvent
}

// wakeToken marks the eventfd in the epoll set; connection tokens are slot
// numbers, far below it.
const wakeToken = ^uint64(0)

func newPoller() (poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	p := &epollPoller{epfd: epfd, eventfd: efd, raw: make([]unix.EpollEvent, 256)}
	p.wakeup.write, p.wakeup.readEnd = p.writeWake, sysSocket(p.eventfd)
	if err := p.ctl(unix.EPOLL_CTL_ADD, sysSocket(efd), wakeToken, unix.EPOLLIN); err != nil {
		p.close()
		return nil, err
	}
	// O_NONBLOCK tells os.NewFile to hand the descriptor to the runtime
	// poller; it does not change what epoll_wait does.
	if err := unix.SetNonblock(epfd, true); err != nil {
		p.close()
		return nil, os.NewSyscallError("setnonblock", err)
	}
	p.file = os.NewFile(uintptr(epfd), "epoll")
	raw, err := p.file.SyscallConn()
	if err != nil {
		p.close()
		return nil, err
	}
	p.rawFile = raw
	p.pollOnce = p.pollReady
	return p, nil
}

func (p *epollPoller) ctl(op int, s sysSocket, token uint64, events uint32) error {
	ev := unix.EpollEvent{Events: events}
	// The token is stored in the 8-byte data union (Fd and Pad).
	binary.NativeEndian.PutUint64((*[8]byte)(unsafePointer(&ev.Fd))[:], token)
	if err := unix.EpollCtl(p.epfd, op, int(s), &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

func (p *epollPoller) add(s sysSocket, token uint64) error {
	return p.ctl(unix.EPOLL_CTL_ADD, s, token, unix.EPOLLIN|unix.EPOLLRDHUP)
}

func (p *epollPoller) modify(s sysSocket, token uint64, want interest) error {
	// EPOLLRDHUP only with EPOLLIN or when a hang-up is asked for: it
	// stays reported while the peer's FIN is pending, and a paused
	// connection must not wake every turn.
	var events uint32
	if want&wantRead != 0 {
		events |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if want&wantHangup != 0 {
		events |= unix.EPOLLRDHUP
	}
	if want&wantWrite != 0 {
		events |= unix.EPOLLOUT
	}
	return p.ctl(unix.EPOLL_CTL_MOD, s, token, events)
}

func (p *epollPoller) remove(s sysSocket) error {
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(s), nil); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

func (p *epollPoller) wait(evs []pollEvent, timeout time.Duration) ([]pollEvent, error) {
	evs = evs[:0]
	if timeout == 0 {
		n, err := p.epollNow()
		if err != nil {
			return evs, err
		}
		return p.collect(evs, n)
	}
	// The next timer is a fixed instant while nothing changes, so rounded
	// to epoll's millisecond the deadline is usually the one already set,
	// and the runtime's timer is left alone.
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout + time.Millisecond - 1).Truncate(time.Millisecond)
	}
	if !deadline.Equal(p.deadline) {
		if err := p.file.SetReadDeadline(deadline); err != nil {
			return evs, err
		}
		p.deadline = deadline
	}
	// Read calls pollOnce at once, and parks only if nothing is ready.
	p.ready, p.readyErr = 0, nil
	err := p.rawFile.Read(p.pollOnce)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return evs, nil // a timer is due
	}
	if err != nil {
		return evs, err
	}
	if p.readyErr != nil {
		return evs, p.readyErr
	}
	return p.collect(evs, p.ready)
}

// pollReady is called by the runtime poller when epfd may be readable; it
// reports whether the loop has something to do.
func (p *epollPoller) pollReady(uintptr) bool {
	p.ready, p.readyErr = p.epollNow()
	return p.ready > 0 || p.readyErr != nil
}

// epollNow collects what is ready without waiting.
func (p *epollPoller) epollNow() (int, error) {
	n, err := unix.EpollWait(p.epfd, p.raw, 0)
	if err == unix.EINTR {
		return 0, nil
	}
	if err != nil {
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	return n, nil
}

// collect turns n raw events into pollEvents, consuming a wake-up.
func (p *epollPoller) collect(evs []pollEvent, n int) ([]pollEvent, error) {
	for i := range n {
		raw := &p.raw[i]
		token := binary.NativeEndian.Uint64((*[8]byte)(unsafePointer(&raw.Fd))[:])
		if token == wakeToken {
			if err := p.wakeup.drain(int(raw.Events)); err != nil {
				return evs, err
			}
			continue
		}
		evs = append(evs, pollEvent{
			token:    token,
			readable: raw.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0,
			writable: raw.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0,
			hangup:   raw.Events&(unix.EPOLLHUP|unix.EPOLLERR) != 0,
		})
	}
	return evs, nil
}

func (p *epollPoller) wake() error { return p.wakeup.wake() }

// writeWake adds one to the eventfd counter; wakeSignal calls it.
func (p *epollPoller) writeWake() error {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, err := unix.Write(p.eventfd, one[:])
	if err == unix.EAGAIN { // the counter is full: the loop will wake anyway
		err = nil
	}
	if err != nil {
		return os.NewSyscallError("eventfd write", err)
	}
	return nil
}

// descriptor is the epoll descriptor: readable when a registered socket
// is ready or the wake-up was written.
func (p *epollPoller) descriptor() (uintptr, bool) { return uintptr(p.epfd), true }

func (p *epollPoller) close() error {
	return p.wakeup.close(func() error {
		unix.Close(p.eventfd)
		if p.file != nil {
			return p.file.Close() // closes epfd
		}
		return unix.Close(p.epfd)
	})
}

// unsafePointer lets the token be stored in epoll_event's data union.
func unsafePointer[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }
