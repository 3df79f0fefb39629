//go:build linux && !phttp_poll

package phttp

import (
	"encoding/binary"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// epollPoller is level-triggered: a connection whose pipeline is full simply
// stops asking for EPOLLIN and keeps its unread bytes in the kernel, and a
// connection read once per turn is reported again next turn, so no
// connection can starve the others. poll(2) and WSAPoll are level-triggered
// too, so the loop has one behaviour on every platform.
type epollPoller struct {
	epfd    int
	eventfd int
	// wakePending folds many wake calls into one eventfd write; the loop
	// clears it when it drains the eventfd. Shared with every goroutine.
	wakePending atomic.Bool
	raw         []unix.EpollEvent
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
	if err := p.ctl(unix.EPOLL_CTL_ADD, sysSocket(efd), wakeToken, unix.EPOLLIN); err != nil {
		p.close()
		return nil, err
	}
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

func (p *epollPoller) modify(s sysSocket, token uint64, read, write bool) error {
	// EPOLLRDHUP only with EPOLLIN: it stays reported while the peer's
	// FIN is pending, and a paused connection must not wake every turn.
	var events uint32
	if read {
		events |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if write {
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
	n, err := unix.EpollWait(p.epfd, p.raw, timeoutMillis(timeout))
	if err == unix.EINTR {
		return evs, nil
	}
	if err != nil {
		return evs, os.NewSyscallError("epoll_wait", err)
	}
	for i := range n {
		raw := &p.raw[i]
		token := binary.NativeEndian.Uint64((*[8]byte)(unsafePointer(&raw.Fd))[:])
		if token == wakeToken {
			p.drainWake()
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

func (p *epollPoller) drainWake() {
	var buf [8]byte
	// Read, then clear. Clearing first would lose wake-ups: a wake landing
	// between the clear and the read sets the flag and writes, the read
	// eats that write, and the flag stays set with nothing to read, so
	// every later wake is skipped. A wake landing between the read and the
	// clear is skipped instead, but its work was queued before it called
	// wake, and the loop collects queued work after wait returns.
	unix.Read(p.eventfd, buf[:])
	p.wakePending.Store(false)
}

func (p *epollPoller) wake() error {
	if p.wakePending.Swap(true) {
		return nil
	}
	one := [8]byte{1}
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

func (p *epollPoller) close() error {
	unix.Close(p.eventfd)
	return unix.Close(p.epfd)
}
