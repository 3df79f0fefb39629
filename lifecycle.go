package phttp

import (
	"errors"
	"log/slog"
	"net"
	"time"
)

// ErrNotSupported is returned by PollFD where the poller has no single
// descriptor to wait on (poll(2) on macOS and the BSDs, WSAPoll on
// Windows): there, give the server a goroutine of its own (Run), or call
// Step with a timeout.
var ErrNotSupported = errors.New("phttp: not supported on this platform")

// PollFD returns a descriptor that a foreign event loop waits on for
// readability; when it is readable (or NextTimeout has passed), the
// foreign loop calls Step(0). On Linux it is the epoll descriptor itself,
// readable whenever a socket the server watches is ready or another
// goroutine woke the loop. Elsewhere it returns ErrNotSupported. Do not
// read from it or close it. Safe from any goroutine.
func (s *Server) PollFD() (uintptr, error) {
	lp, err := s.loop()
	if err != nil {
		return 0, err
	}
	if fd, ok := lp.poll.descriptor(); ok {
		return fd, nil
	}
	return 0, ErrNotSupported
}

// NextTimeout returns how long a foreign loop may wait on PollFD before it
// must call Step(0) so that header, idle, write and linger timers fire on
// time: 0 when work is already pending, -1 when no timer runs. Call it
// from the goroutine that calls Step.
func (s *Server) NextTimeout() time.Duration {
	lp, err := s.started()
	if err != nil {
		return -1
	}
	return lp.waitFor(-1)
}

// Pause stops accepting connections: new ones wait in the kernel's backlog
// (or are refused by it once it is full), and connections already open go
// on. Resume accepts again, the backlog first. Safe from any goroutine;
// they take effect in the loop's next turn.
func (s *Server) Pause() { s.setPaused(true) }

// Resume undoes Pause. Safe from any goroutine.
func (s *Server) Resume() { s.setPaused(false) }

func (s *Server) setPaused(p bool) {
	if s.acceptPaused.Swap(p) == p {
		return
	}
	if lp, err := s.started(); err == nil {
		lp.poll.wake()
	}
}

// applyPause brings the listeners in line with Pause and Resume.
func (lp *eventLoop) applyPause() {
	p := lp.srv.acceptPaused.Load()
	if p == lp.acceptsPaused || lp.shuttingDown {
		return
	}
	lp.acceptsPaused = p
	want := wantRead
	if p {
		want = 0
	}
	for i, l := range lp.listeners {
		if !l.paused {
			lp.poll.modify(l.sock, listenerToken|uint64(i), want)
		}
	}
}

// SetHandler replaces the handler from the next event on: a request in
// progress finishes with the handler it started with (a streamed body's
// later pieces included), and each WebSocket message goes to the handler
// set when it arrives. Safe from any goroutine.
func (s *Server) SetHandler(h Handler) { s.handler.Store(&h) }

// SetLogger replaces the logger from the next message on; nil goes back
// to the Logger field (or slog.Default()). Safe from any goroutine.
func (s *Server) SetLogger(l *slog.Logger) { s.log.Store(l) }

// AddConn adopts a connection accepted elsewhere (inetd, a descriptor
// passed with SCM_RIGHTS, another listener): its socket is taken over (c
// is closed; the connection stays open) and served like one the server
// accepted, with the ConnID returned. c must expose its socket through
// syscall.Conn, as *net.TCPConn and *net.UnixConn do. A server with no
// listener of its own serves adopted connections from Run until Stop;
// call AddConn once before Run there (Run on a server with neither
// returns ErrNotListening). Safe from any goroutine.
func (s *Server) AddConn(c net.Conn) (ConnID, error) {
	if s.stopped.Load() {
		return 0, ErrServerStopped
	}
	lp, err := s.loop()
	if err != nil {
		return 0, err
	}
	sock, err := ownSocket(c)
	if err != nil {
		return 0, err
	}
	remote, local := c.RemoteAddr(), c.LocalAddr()
	c.Close() // the duplicate keeps the connection open
	if _, tcp := remote.(*net.TCPAddr); tcp {
		setNoDelay(sock)
	}
	id := s.newConnID()
	s.adopted.Store(true)
	if err := s.Post(func() { lp.adopt(sock, remote, local, id) }); err != nil {
		closeSocket(sock)
		return 0, ErrServerStopped
	}
	return id, nil
}

// fixedLocal is the local address of every connection a listener bound
// to a accepts, or nil when a is a wildcard (each connection then has its
// own, asked for at accept).
func fixedLocal(a net.Addr) net.Addr {
	if t, ok := a.(*net.TCPAddr); ok && (t.IP == nil || t.IP.IsUnspecified()) {
		return nil
	}
	return a
}
