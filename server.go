package phttp

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Handler answers one event. It runs on the loop goroutine, one call at a
// time, so the state it owns needs no locks. It must not block: a slow
// answer is detached (w.Detach) and finished from another goroutine.
type Handler func(w *Response, r *Request)

// Defaults used when a Server's limit is zero.
const (
	DefaultMaxConnections    = 4096
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultMaxBodyBytes      = 8 << 20
	DefaultMaxMessageBytes   = 16 << 20
	DefaultMaxPipelined      = 16
	DefaultSendQueueBytes    = 4 << 20
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultMaxBufferedBytes  = 128 << 20
	// DefaultMaxConcurrentStreams is net/http's HTTP/2 default.
	DefaultMaxConcurrentStreams = 250
)

// Server is an HTTP/1.1, HTTP/2 and WebSocket server driven by one goroutine. Set
// its fields before Listen or Serve and do not change them afterwards. The
// zero value serves with the defaults above; a nil Handler answers 404.
type Server struct {
	Handler Handler

	// MaxConnections bounds open connections; one more is answered 503
	// and closed while the server keeps serving the others.
	MaxConnections int
	// MaxHeaderBytes bounds the request line plus headers: 431, or 414
	// when the request-target alone is too long.
	MaxHeaderBytes int
	// MaxBodyBytes bounds a request body, buffered or streamed (and the
	// rest of a body the handler answered early): 413 without reading the
	// body when its length says so, else 413 (or a close, once an answer
	// has started) as soon as the bytes go past it.
	MaxBodyBytes int64
	// MaxMessageBytes bounds one WebSocket message: close 1009.
	MaxMessageBytes int64
	// MaxPipelined is how many requests of one connection the loop
	// answers before it turns to the others; while that many wait behind
	// an unfinished (detached) answer it stops reading the socket.
	MaxPipelined int
	// SendQueueBytes bounds a connection's outbound queue. Senders on
	// other goroutines wait (or get ErrQueueFull) beyond it, and the loop
	// stops reading a client whose own answers fill it.
	SendQueueBytes int
	// ReadHeaderTimeout runs from a request's first byte (or the accept)
	// to the end of its head; a stalled client is then closed.
	ReadHeaderTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request, and how long a request body may stall.
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose queued bytes make no
	// progress for this long (a stalled consumer); its waiting senders
	// get ErrClosed. WebSocket connections get close 1008 when a frame
	// can still go out.
	WriteTimeout time.Duration
	// MaxBufferedBytes bounds, over all connections together, the partial
	// input the server holds: request heads not yet complete, bodies
	// being gathered for the handler, and WebSocket messages being
	// assembled. Past it, the connections holding the most are refused
	// (431 for a head, 413 for a body, close 1009 for a message) until the
	// total is under it again; the others go on.
	MaxBufferedBytes int64

	// StreamBodies calls Handler when the head is complete (Body empty)
	// and again for every piece of the body (BodyDone on the last),
	// instead of once with the whole body; or the handler takes the body
	// with Request.BodyReader. It applies to every request unless
	// StreamBody is set.
	StreamBodies bool
	// StreamBody decides per request, at the end of its head and only for
	// requests with a body: true streams it (as StreamBodies describes),
	// false buffers it. It runs on the loop goroutine, like the handler,
	// and sees the head (Method, Path, Header...), not the body. Nil
	// means StreamBodies for all.
	StreamBody func(r *Request) bool

	// AllowedHosts is the Host header allow-list, against DNS rebinding.
	// Entries are a host ("localhost", any port), a host:port, or "*"
	// (no check). When nil and the server listens on loopback or a unix
	// socket: localhost, 127.0.0.1 and [::1], any port. Others get 421.
	AllowedHosts []string
	// CheckOrigin decides WebSocket upgrades; false answers 403. When
	// nil, an upgrade is allowed if SameOrigin says so or its Origin is
	// one of AllowedOrigins (cross-site WebSocket hijacking protection).
	// It runs on the loop goroutine, like the handler.
	CheckOrigin func(r *Request) bool
	// AllowedOrigins lists the origins whose pages may open a WebSocket
	// besides the server's own, as scheme://host[:port] ("http://localhost:5173"
	// for a dev server); a missing port is the scheme's default. Ignored
	// when CheckOrigin is set.
	AllowedOrigins []string

	// TLSConfig, when set, makes every listener of the server (and every
	// connection AddConn adopts) speak TLS with it, through crypto/tls:
	// certificates (or GetCertificate for SNI), client certificates and
	// session resumption work as crypto/tls provides them. NextProtos
	// gets "h2" (unless Protocols leaves HTTP/2 out), "http/1.1" and
	// "http/1.0" for ALPN. The handshake runs on a short-lived
	// goroutine fed by the loop; an idle TLS connection has none.
	// ListenAndRunTLS sets it up from certificate files.
	TLSConfig *tls.Config

	// Protocols says which HTTP versions the server speaks. Zero means
	// HTTP1, plus HTTP2 when the server speaks TLS. With HTTP2 set, ALPN
	// offers "h2" first; with UnencryptedHTTP2, a plain connection that
	// opens with the HTTP/2 preface speaks HTTP/2. Each HTTP/2 stream is
	// one Request (Proto "HTTP/2.0") to the same Handler, answered through
	// its own Response exactly as on HTTP/1.1. Without HTTP1, an HTTP/1
	// request is answered 505 and the connection closed.
	Protocols Protocols
	// MaxConcurrentStreams bounds the HTTP/2 streams a client may have
	// open on one connection (SETTINGS_MAX_CONCURRENT_STREAMS); one more
	// is refused with REFUSED_STREAM.
	MaxConcurrentStreams int

	// WebSocketCompression negotiates permessage-deflate (RFC 7692) with
	// clients that offer it: the server answers server_no_context_takeover
	// and client_no_context_takeover, so that an idle compressed
	// connection holds no compression state. Messages from 64 bytes on are
	// compressed when that makes them smaller; a Message is compressed
	// once for every connection it goes to.
	WebSocketCompression bool
	// PingInterval pings a WebSocket peer from which nothing was received
	// for this long, and closes it (close 1008 where a frame can still go
	// out; counted in Stats.PingTimeouts and Evicted) if it is still
	// silent one more interval later. A peer that answers pings, or sends
	// anything, is never closed by it. Zero: no pings.
	PingInterval time.Duration

	// Logger receives errors (handler panics, accept failures) and, at
	// slog.LevelDebug, refused client input. Nil uses slog.Default().
	Logger *slog.Logger

	// draining is set by Shutdown: every answer from then on carries
	// Connection: close, detached ones included.
	draining atomic.Bool

	mu sync.Mutex // guards lp while it is being created
	lp *eventLoop
	// running is held by Run and Step while they use the loop, so that
	// Stop can tear down a loop nobody runs.
	running   sync.Mutex
	stopped   atomic.Bool
	connCount atomic.Int64
	counters  counters
	nextID    atomic.Uint64 // the last ConnID given out
	adopted   atomic.Bool   // AddConn was called: Run serves without a listener
	// acceptPaused is what Pause and Resume ask; the loop applies it.
	acceptPaused atomic.Bool
	// handler and logger are what SetHandler and SetLogger set; nil
	// means the Handler and Logger fields.
	handler atomic.Pointer[Handler]
	log     atomic.Pointer[slog.Logger]
	// tlsFiles is the TLS configuration ListenAndRunTLS made.
	tlsFiles *tls.Config
	// conns maps ConnID to connection for senders on other goroutines.
	conns connTable
	// done is closed when Run has returned after Stop or Shutdown.
	done     chan struct{}
	doneOnce sync.Once
}

// ListenAndRun listens on the TCP address addr ("127.0.0.1:8080") and
// serves with h on the calling goroutine until the Server is stopped; the
// handler reaches that Server as r.Server (for Stop, Post or sends). To
// keep it at hand outside the handler, make a Server yourself.
func ListenAndRun(addr string, h Handler) error {
	s := &Server{Handler: h}
	return s.ListenAndRun(addr)
}

// ListenAndRun listens on the TCP address addr and runs the loop on the
// calling goroutine until Stop or Shutdown. Like Run, from one goroutine.
func (s *Server) ListenAndRun(addr string) error {
	if err := s.Listen("tcp", addr); err != nil {
		return err
	}
	return s.Run()
}

// Listen opens a listener on network ("tcp", "tcp4", "tcp6" or "unix")
// and addr; port 0 picks a free port (see Addr). It may be called more than
// once to serve several addresses. Call it before Run; not safe to call
// concurrently with Run or Step.
func (s *Server) Listen(network, addr string) error {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
	default:
		return &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return err
	}
	if err := s.Serve(l); err != nil {
		l.Close()
		return err
	}
	return nil
}

// Serve adopts an existing listener (for socket activation, say): the loop
// accepts its connections from the next Run or Step on. Serve does not
// block. The server closes l when it stops. l must be a *net.TCPListener,
// a *net.UnixListener, or another listener exposing its socket through
// syscall.Conn; do not call l.Accept yourself meanwhile. Like Listen, call
// it before Run, not concurrently with Run or Step.
func (s *Server) Serve(l net.Listener) error {
	if s.stopped.Load() {
		return ErrServerStopped
	}
	lp, err := s.loop()
	if err != nil {
		return err
	}
	return lp.addListener(l)
}

// Run runs the loop on the calling goroutine until Stop or Shutdown (call
// it from one goroutine, once), and
// returns nil then. It returns an error at once if there is no listener
// (ErrNotListening), if the server was already stopped (ErrServerStopped),
// or if the poller fails.
func (s *Server) Run() error {
	lp, err := s.started()
	if err != nil {
		return err
	}
	s.running.Lock()
	defer s.running.Unlock()
	defer s.finish()
	if s.stopped.Load() {
		return ErrServerStopped
	}
	for !s.stopped.Load() {
		if err := lp.step(-1); err != nil {
			return err
		}
	}
	return nil
}

// Step runs one loop iteration for a program that owns its main loop: it
// waits at most timeout (0 polls, negative waits for the next event or
// timer), then handles what is ready. Call it from one goroutine only: the
// handler and posted functions run on it. After Stop, the next Step (or
// the Step during which Stop was called) tears the server down on that
// goroutine (connections closed, WebSocketClose delivered, functions
// already posted run) and returns ErrServerStopped; keep calling Step
// until it does.
func (s *Server) Step(timeout time.Duration) error {
	lp, err := s.started()
	if err != nil {
		return err
	}
	s.running.Lock()
	defer s.running.Unlock()
	if s.stopped.Load() {
		s.finish()
		return ErrServerStopped
	}
	if err := lp.step(timeout); err != nil {
		return err
	}
	if s.stopped.Load() { // stopped during this turn (by a posted function, say)
		s.finish()
		return ErrServerStopped
	}
	return nil
}

// Addr returns the first listener's address, or nil before Listen/Serve.
// Safe from any goroutine.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lp == nil || len(s.lp.listeners) == 0 {
		return nil
	}
	return s.lp.listeners[0].ln.Addr()
}

// Connections returns how many client connections are open. Safe from any
// goroutine.
func (s *Server) Connections() int { return int(s.connCount.Load()) }

// Stop makes Run return promptly: every connection is closed at once
// (queued bytes are dropped; use Shutdown to finish them), waiting senders
// get ErrClosed at once, and the listeners are closed. The teardown runs
// on the goroutine that drives the loop (in Run, or in the next Step), so
// the handler never runs anywhere else; a server whose loop never ran is
// torn down here. Safe from any goroutine, including one that handles OS
// signals; calling it again does nothing.
func (s *Server) Stop() {
	if s.stopped.Swap(true) {
		return
	}
	s.conns.closeAll()
	s.mu.Lock()
	lp := s.lp
	s.mu.Unlock()
	if lp == nil {
		return
	}
	if err := lp.poll.wake(); err != nil {
		s.logger().Error("phttp: waking the loop to stop", "err", err)
	}
	// A loop that never ran has no connection and so no handler to call;
	// if nothing was posted to it either, nobody needs its goroutine.
	if !lp.ran.Load() && s.running.TryLock() {
		if !lp.ran.Load() && !lp.hasPosts() {
			s.finish()
		}
		s.running.Unlock()
	}
}

// Shutdown closes the listeners (a client connecting from then on is
// refused), lets requests in flight finish (each answer
// then carries Connection: close), closes idle connections and WebSockets
// (close 1001), and stops the server once no connection is left or ctx is
// done, whichever comes first; then it returns ctx's error, or nil. It
// returns ErrServerStopped if the server was already stopped. Run (or a
// program calling Step) must be driving the loop on another goroutine.
// Safe from any goroutine.
func (s *Server) Shutdown(ctx context.Context) error {
	lp, err := s.started()
	if err != nil {
		return err
	}
	s.draining.Store(true)
	if err := s.Post(lp.beginShutdown); err != nil {
		return ErrServerStopped // Stop came first: nothing was finished gracefully
	}
	select {
	case <-lp.drained:
		s.Stop()
		<-s.done
		return nil
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.Stop()
		<-s.done
		return ctx.Err()
	}
}

// loop returns the server's loop, creating it on first use.
func (s *Server) loop() (*eventLoop, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lp != nil {
		return s.lp, nil
	}
	lp, err := newEventLoop(s)
	if err != nil {
		return nil, err
	}
	s.lp = lp
	s.done = make(chan struct{})
	return lp, nil
}

func (s *Server) started() (*eventLoop, error) {
	s.mu.Lock()
	lp := s.lp
	s.mu.Unlock()
	if lp == nil {
		if s.stopped.Load() {
			return nil, ErrServerStopped
		}
		return nil, ErrNotListening
	}
	return lp, nil
}

// finish tears the loop down once, on the loop goroutine.
func (s *Server) finish() {
	s.doneOnce.Do(func() {
		s.lp.teardown()
		close(s.done)
	})
}

func (s *Server) logger() *slog.Logger {
	if l := s.log.Load(); l != nil {
		return l
	}
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// currentHandler is the handler for the next event.
func (s *Server) currentHandler() Handler {
	if h := s.handler.Load(); h != nil {
		return *h
	}
	return s.Handler
}

// newConnID gives out the next connection ID. Any goroutine.
func (s *Server) newConnID() ConnID { return ConnID(s.nextID.Add(1)) }
