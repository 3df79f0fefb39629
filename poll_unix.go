//go:build (unix && !linux) || (linux && phttp_poll)

package phttp

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// pollPoller runs the loop on poll(2): macOS and the BSDs have kqueue, but
// poll is one portable, level-triggered call that behaves like the epoll
// and WSAPoll backends, and the loop's socket counts (a localhost gateway)
// are where its O(n) scan costs nothing that matters. On Linux it is
// built with -tags phttp_poll so that it is tested where CI runs.
//
// fds[0] is always the wake pipe's read end. Connections take the other
// slots; index finds a socket's slot, and remove moves the last slot into
// the hole, so add, modify and remove are O(1).
//
// A socket watched for nothing (a paused connection) stays in its slot
// with fd -1, which poll skips. Asking for no events is not enough: poll
// reports POLLHUP and POLLERR whatever was asked for, and macOS sets
// POLLHUP when the peer merely half-closes, so a paused connection whose
// client sent FIN would end every wait at once.
//
// wait blocks its thread inside poll, and the runtime gives that
// goroutine's P to others only when sysmon takes it back (up to 10 ms
// later). poll_linux.go avoids that by parking on the epoll descriptor
// through the runtime poller; a poll set has no descriptor to park on (a
// kqueue backend would), so here the cost stays. It matters only when
// every P is busy (GOMAXPROCS=1, say).
type pollPoller struct {
	set pollSet[unix.PollFd] // the sockets polled; slot 0 is the wake-up's

	wakeRd, wakeWr int
	// wakeup writes to wakeWr; it is the one part shared with every
	// goroutine.
	wakeup wakeSignal
}

func newPoller() (poller, error) {
	rd, wr, err := wakePipe()
	if err != nil {
		return nil, err
	}
	p := &pollPoller{
		wakeRd: rd,
		wakeWr: wr,
	}
	p.set.init(sysSocket(rd), unix.PollFd{Fd: int32(rd), Events: unix.POLLIN})
	p.wakeup.write, p.wakeup.readEnd = p.writeWake, sysSocket(p.wakeRd)
	return p, nil
}

// wakePipe makes a non-blocking, close-on-exec pipe. macOS has no pipe2,
// so the flags are set after pipe; holding syscall.ForkLock for reading
// keeps a concurrent os/exec fork from inheriting the ends in between, as
// os.Pipe does.
func wakePipe() (rd, wr int, err error) {
	var fds [2]int
	syscall.ForkLock.RLock()
	err = unix.Pipe(fds[:])
	if err == nil {
		unix.CloseOnExec(fds[0])
		unix.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, -1, os.NewSyscallError("pipe", err)
	}
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(fds[0])
			unix.Close(fds[1])
			return -1, -1, os.NewSyscallError("setnonblock", err)
		}
	}
	return fds[0], fds[1], nil
}

func (p *pollPoller) add(s sysSocket, token uint64) error {
	return p.set.add(s, token, unix.PollFd{Fd: int32(s), Events: unix.POLLIN})
}

func (p *pollPoller) modify(s sysSocket, token uint64, want interest) error {
	i, err := p.set.slot(s, "modify")
	if err != nil {
		return err
	}
	// The field is int16 on most systems and uint16 on AIX: untyped
	// constants fit both.
	fd := &p.set.entries[i]
	fd.Fd, fd.Events = int32(s), 0
	if want&wantRead != 0 {
		fd.Events |= unix.POLLIN
	}
	if want&wantWrite != 0 {
		fd.Events |= unix.POLLOUT
	}
	// A hang-up watch asks for no data: POLLHUP and POLLERR come whatever
	// is asked (macOS sets POLLHUP on a half-close), and Linux reports a
	// half-close only as POLLRDHUP, when asked.
	if want&wantHangup != 0 {
		fd.Events |= pollPeerClosed
	}
	if want == 0 {
		fd.Fd = -1
	}
	p.set.tokens[i] = token
	return nil
}

func (p *pollPoller) remove(s sysSocket) error { return p.set.remove(s) }

func (p *pollPoller) wait(evs []pollEvent, timeout time.Duration) ([]pollEvent, error) {
	evs = evs[:0]
	n, err := unix.Poll(p.set.entries, timeoutMillis(timeout))
	if err == unix.EINTR {
		return evs, nil
	}
	if err != nil {
		return evs, os.NewSyscallError("poll", err)
	}
	for i := 0; n > 0 && i < len(p.set.entries); i++ {
		r := p.set.entries[i].Revents
		if r == 0 || p.set.entries[i].Fd < 0 {
			continue
		}
		n--
		if i == 0 {
			if err := p.wakeup.drain(int(r)); err != nil {
				return evs, err
			}
			continue
		}
		// POLLHUP is not a hang-up in the epoll sense everywhere: macOS
		// sets it when the peer merely half-closes (its poll turns
		// EV_EOF on the read filter into POLLHUP, and then withholds
		// POLLOUT), which epoll reports as EPOLLRDHUP, and the
		// connection can still take the response. So POLLHUP makes the
		// socket readable (the read says EOF, or the reset) and writable
		// (the write goes out, or fails), and only POLLERR/POLLNVAL mean
		// the socket is dead both ways. Linux is built the same way so
		// that -tags phttp_poll tests what macOS runs.
		evs = append(evs, pollEvent{
			token:    p.set.tokens[i],
			readable: r&(unix.POLLIN|pollPeerClosed|unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0,
			writable: r&(unix.POLLOUT|unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0,
			hangup:   r&(unix.POLLERR|unix.POLLNVAL) != 0,
		})
	}
	return evs, nil
}

func (p *pollPoller) wake() error { return p.wakeup.wake() }

// writeWake writes one byte to the pipe; wakeSignal calls it.
func (p *pollPoller) writeWake() error {
	one := [1]byte{1}
	for {
		_, err := unix.Write(p.wakeWr, one[:])
		switch err {
		case nil, unix.EAGAIN: // full: bytes are already waiting
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("wake-up write", err)
	}
}

// descriptor: a poll set has none to wait on.
func (p *pollPoller) descriptor() (uintptr, bool) { return 0, false }

func (p *pollPoller) close() error {
	return p.wakeup.close(func() error {
		err1 := unix.Close(p.wakeRd)
		err2 := unix.Close(p.wakeWr)
		return errors.Join(os.NewSyscallError("close", err1), os.NewSyscallError("close", err2))
	})
}
