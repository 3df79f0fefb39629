//go:build windows

package phttp

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// wsaPoller runs the loop on WSAPoll, the one readiness call Windows offers
// over plain non-blocking sockets (the alternative, IOCP, is completion-based
// and would need the loop to hand buffers to the kernel in advance). Like
// epoll here it is level-triggered.
//
// The poll set is an array that WSAPoll reads directly. fds[0] is always
// the wake socket, so the set is never empty (WSAPoll fails with WSAEINVAL
// on an empty set, or when every socket in it is ignored) and a wait(-1)
// can always be ended.
//
// Connections take the other slots; index finds a socket's slot, and
// remove moves the last slot into the hole, so add, modify and remove are
// O(1).
//
// A socket watched for nothing (a paused connection) is left in its slot
// with fd set to INVALID_SOCKET, which WSAPoll documents it ignores.
// Asking for no events is not enough: WSAPoll reports POLLHUP whatever
// was asked for, and Windows sets it when the peer merely half-closes, so
// a paused connection whose client sent FIN would end every wait at once.
//
// wait blocks its thread inside WSAPoll, and the runtime gives that
// goroutine's P to others only when sysmon takes it back (up to 10 ms
// later). poll_linux.go avoids that by parking on the epoll descriptor
// through the runtime poller; a WSAPoll set has no handle the runtime
// could wait on, so here the cost stays. It matters only when every P is
// busy (GOMAXPROCS=1, say).
type wsaPoller struct {
	set pollSet[wsaPollFD] // the sockets polled; slot 0 is the wake-up's

	wakeRd, wakeWr windows.Handle
	// wakeup sends on wakeWr; it is the one part shared with every
	// goroutine.
	wakeup wakeSignal
}

func newPoller() (poller, error) {
	rd, wr, err := loopbackPair()
	if err != nil {
		return nil, fmt.Errorf("phttp: wake-up socket pair: %w", err)
	}
	p := &wsaPoller{
		wakeRd: rd,
		wakeWr: wr,
	}
	p.set.init(sysSocket(rd), wsaPollFD{fd: rd, events: pollRDNORM})
	p.wakeup.write, p.wakeup.readEnd = p.writeWake, sysSocket(p.wakeRd)
	return p, nil
}

func (p *wsaPoller) add(s sysSocket, token uint64) error {
	return p.set.add(s, token, wsaPollFD{fd: windows.Handle(s), events: pollRDNORM})
}

func (p *wsaPoller) modify(s sysSocket, token uint64, want interest) error {
	i, err := p.set.slot(s, "modify")
	if err != nil {
		return err
	}
	// Only POLLRDNORM and POLLWRNORM: WSAPoll fails with WSAEINVAL on
	// flags it does not accept in events.
	// A hang-up watch asks for nothing: WSAPoll reports POLLHUP (set on a
	// half-close) and POLLERR whatever is asked for.
	fd := &p.set.entries[i]
	fd.fd, fd.events = windows.Handle(s), 0
	if want&wantRead != 0 {
		fd.events |= pollRDNORM
	}
	if want&wantWrite != 0 {
		fd.events |= pollWRNORM
	}
	if want == 0 {
		fd.fd = windows.InvalidHandle
	}
	p.set.tokens[i] = token
	return nil
}

func (p *wsaPoller) remove(s sysSocket) error { return p.set.remove(s) }

func (p *wsaPoller) wait(evs []pollEvent, timeout time.Duration) ([]pollEvent, error) {
	evs = evs[:0]
	n, err := wsaPoll(p.set.entries, timeoutMillis(timeout))
	if errors.Is(err, windows.WSAEINTR) {
		return evs, nil
	}
	if err != nil {
		return evs, os.NewSyscallError("wsapoll", err)
	}
	for i := 0; n > 0 && i < len(p.set.entries); i++ {
		r := p.set.entries[i].revents
		// An ignored slot has no events on Windows; Wine sets POLLNVAL
		// there (without counting it in n), which must not read as a
		// dead connection.
		if r == 0 || p.set.entries[i].fd == windows.InvalidHandle {
			continue
		}
		n--
		// Only what was asked for, and the conditions reported whatever
		// is asked (as Microsoft documents WSAPoll): a socket kept under
		// a hang-up watch asks for no data, and data arriving on it (a
		// request pipelined behind a detached answer) must not read as
		// the client going away, whatever an implementation reports.
		r &= p.set.entries[i].events | pollHUP | pollERR | pollNVAL
		if r == 0 {
			continue
		}
		if i == 0 {
			if err := p.wakeup.drain(int(r)); err != nil {
				return evs, err
			}
			continue
		}
		// POLLHUP is not a hang-up in the epoll sense: Windows sets it
		// when the peer merely half-closes (sends FIN), which epoll
		// reports as EPOLLRDHUP, and the connection can still take the
		// response. So POLLHUP makes the socket readable (the read says
		// EOF, or the reset) and writable (the write goes out, or fails
		// with the reset), and only POLLERR/POLLNVAL mean the socket is
		// dead both ways.
		evs = append(evs, pollEvent{
			token:    p.set.tokens[i],
			readable: r&(pollRDNORM|pollRDBAND|pollHUP|pollERR|pollNVAL) != 0,
			writable: r&(pollWRNORM|pollHUP|pollERR|pollNVAL) != 0,
			hangup:   r&(pollERR|pollNVAL) != 0,
		})
	}
	return evs, nil
}

func (p *wsaPoller) wake() error { return p.wakeup.wake() }

// writeWake sends one byte on the pair; wakeSignal calls it. wakeWr is
// blocking, and this send cannot wait: the fold flag lets at most a byte
// or two be unread at any time.
func (p *wsaPoller) writeWake() error {
	one := [1]byte{1}
	if _, err := send(p.wakeWr, one[:]); err != nil {
		return os.NewSyscallError("wake-up send", err)
	}
	return nil
}

// descriptor: a WSAPoll set has none to wait on.
func (p *wsaPoller) descriptor() (uintptr, bool) { return 0, false }

func (p *wsaPoller) close() error {
	return p.wakeup.close(func() error {
		err1 := closeSocket(sysSocket(p.wakeRd))
		err2 := closeSocket(sysSocket(p.wakeWr))
		return errors.Join(err1, err2)
	})
}
