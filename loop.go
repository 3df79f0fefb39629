package phttp

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	readBufSize    = 64 << 10 // one read; also the most a pipelined batch is answered from
	lingerTimeout  = 2 * time.Second
	acceptBackoff  = 100 * time.Millisecond
	maxAcceptBatch = 128 // accepts per listener per turn, so accepting cannot starve serving
	maxRejecting   = 64  // connections over MaxConnections still being sent their 503
)

// listener is one listening socket; ln stays open (a unix socket's path
// lives with it) while the loop accepts on its own duplicate, sock.
type listener struct {
	ln     net.Listener
	sock   sysSocket
	paused bool     // out of descriptors: accepting resumes after a backoff
	closed bool     // Shutdown or teardown closed it: closing again does nothing
	local  net.Addr // every connection's local address, unless the listener is a wildcard (nil)
}

// eventLoop is the goroutine-confined heart of a Server: the poller, every
// connection, the timers and the buffers. Only the fields marked as shared
// are touched by other goroutines.
type eventLoop struct {
	srv  *Server
	poll poller // wake is shared; the rest is the loop's
	lim  limits

	listeners []*listener
	slots     []*conn  // by slot number; nil where free
	freeSlots []uint32 // free slot numbers
	rejecting int

	events  []pollEvent
	readBuf []byte
	// tlsConf is the server's TLS configuration, or nil; tlsBuf and
	// tlsPlain are the loop's scratch for ciphertext read and plaintext
	// gathered to encrypt.
	tlsConf  *tls.Config
	tlsBuf   []byte
	tlsPlain []byte
	iov      [][]byte
	outMu    sync.Mutex // guards outPool (see getOut)
	outPool  [][]byte
	rsPool   []*reqState
	resume   []*conn // connections with buffered input or work to go on with
	spare    []*conn

	start time.Time
	now   time.Duration // loop clock: time since start
	wall  time.Time
	date  dateCache

	headerTimers, idleTimers, bodyTimers, writeTimers, lingerTimers timerList
	pingTimers                                                      timerList     // after 0: PingInterval is off
	streamStallTimers                                               timerList     // HTTP/2 streams held by flow control (h2conn.go)
	acceptResume                                                    time.Duration // when paused listeners resume, or 0

	// ready lists connections other goroutines queued work for.
	readyMu sync.Mutex // guards ready
	ready   []*conn
	// readySpare is the loop's: the list serveReady handled last turn,
	// kept for its capacity.
	readySpare []*conn
	// pace keeps waiting senders from queueing far ahead of the loop.
	pace sendPace
	// posts are functions to run on the loop, in order.
	postMu sync.Mutex // guards posts and postsClosed
	posts  []func()
	// postsClosed refuses posts once the loop has torn down.
	postsClosed bool
	spareFns    []func()

	// ran is set by the first step: from then on only the goroutine that
	// drives the loop may tear it down. Shared (read by Stop).
	ran atomic.Bool

	scratch []byte    // the loop's buffer for building refusals
	heads   headArena // where request heads are copied for their strings
	// h2DateValue is the Date value HTTP/2 answers carry, as a string.
	h2DateValue string
	localOnly   bool // every listener is loopback or unix: AllowedHosts defaults apply
	listened    bool
	buffered    int // partial input held by all connections (MaxBufferedBytes)
	// acceptsPaused is Server.Pause as the loop last applied it.
	acceptsPaused bool

	shuttingDown bool
	stopping     bool          // teardown is closing everything
	drained      chan struct{} // closed when Shutdown has no connection left
	drainedOnce  sync.Once
}

// limits are the server's settings with defaults filled in.
type limits struct {
	maxConns      int
	maxHeader     int
	maxBody       int64
	maxMessage    int64
	maxPipelined  int
	queueBytes    int
	headerTimeout time.Duration
	idleTimeout   time.Duration
	writeTimeout  time.Duration
	maxBuffered   int
	maxStreams    int
	protocols     Protocols
}

func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

func newEventLoop(s *Server) (*eventLoop, error) {
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	lp := &eventLoop{
		srv:     s,
		poll:    p,
		readBuf: make([]byte, readBufSize),
		events:  make([]pollEvent, 0, 256),
		start:   time.Now(),
		drained: make(chan struct{}),
		lim: limits{
			maxConns:      orDefault(s.MaxConnections, DefaultMaxConnections),
			maxHeader:     orDefault(s.MaxHeaderBytes, DefaultMaxHeaderBytes),
			maxBody:       orDefault(s.MaxBodyBytes, DefaultMaxBodyBytes),
			maxMessage:    orDefault(s.MaxMessageBytes, DefaultMaxMessageBytes),
			maxPipelined:  orDefault(s.MaxPipelined, DefaultMaxPipelined),
			queueBytes:    orDefault(s.SendQueueBytes, DefaultSendQueueBytes),
			headerTimeout: orDefault(s.ReadHeaderTimeout, DefaultReadHeaderTimeout),
			idleTimeout:   orDefault(s.IdleTimeout, DefaultIdleTimeout),
			writeTimeout:  orDefault(s.WriteTimeout, DefaultWriteTimeout),
			maxBuffered:   int(orDefault(s.MaxBufferedBytes, DefaultMaxBufferedBytes)),
			maxStreams:    orDefault(s.MaxConcurrentStreams, DefaultMaxConcurrentStreams),
			protocols:     s.protocols(),
		},
	}
	lp.wall = lp.start
	if lp.tlsConf = s.tlsConfig(); lp.tlsConf != nil {
		lp.tlsBuf = make([]byte, readBufSize)
	}
	lp.headerTimers = timerList{after: lp.lim.headerTimeout, node: readNode, expire: lp.onReadTimeout}
	lp.idleTimers = timerList{after: lp.lim.idleTimeout, node: readNode, expire: lp.onIdleTimeout}
	lp.bodyTimers = timerList{after: lp.lim.idleTimeout, node: readNode, expire: lp.onReadTimeout}
	lp.lingerTimers = timerList{after: lingerTimeout, node: readNode, expire: lp.onLingerTimeout}
	lp.pingTimers = timerList{after: max(s.PingInterval, 0), node: readNode, expire: lp.onPingTimeout}
	lp.streamStallTimers = timerList{after: lp.lim.writeTimeout, node: stallNode, expire: lp.onStreamStall}
	// The write timer runs in two halves of WriteTimeout (see onWriteTimeout).
	lp.writeTimers = timerList{after: max(lp.lim.writeTimeout/2, time.Millisecond), node: writeNode, expire: lp.onWriteTimeout}
	return lp, nil
}

// closeListener stops accepting on l for good and closes its socket;
// idempotent.
func (lp *eventLoop) closeListener(l *listener) {
	if l.closed {
		return
	}
	l.closed = true
	lp.poll.remove(l.sock)
	closeSocket(l.sock)
	l.ln.Close()
}

func (lp *eventLoop) addListener(l net.Listener) error {
	sock, err := ownSocket(l)
	if err != nil {
		return err
	}
	idx := len(lp.listeners)
	if err := lp.poll.add(sock, listenerToken|uint64(idx)); err != nil {
		closeSocket(sock)
		return err
	}
	lp.srv.mu.Lock()
	lp.listeners = append(lp.listeners, &listener{ln: l, sock: sock, local: fixedLocal(l.Addr())})
	lp.srv.mu.Unlock()
	local := isLocalListener(l.Addr())
	lp.localOnly = local && (lp.localOnly || !lp.listened)
	lp.listened = true
	return nil
}

// step is one turn: wait for events (or the next timer), handle them, run
// posted functions and other goroutines' queued work, fire due timers.
func (lp *eventLoop) step(timeout time.Duration) error {
	if !lp.listened && !lp.srv.adopted.Load() {
		return ErrNotListening
	}
	if !lp.ran.Load() {
		lp.ran.Store(true)
	}
	lp.pace.turn()
	wait := lp.waitFor(timeout)
	evs, err := lp.poll.wait(lp.events, wait)
	lp.events = evs[:0]
	if err != nil {
		return err
	}
	lp.tick()
	lp.applyPause()
	for _, ev := range evs {
		lp.dispatchEvent(ev)
	}
	lp.runPosts()
	lp.serveReady()
	lp.serveResume()
	lp.tick()
	lp.fireTimers()
	return nil
}

// waitFor returns how long the poller may sleep: until the earliest timer,
// not at all while work is pending, and never past the caller's timeout.
func (lp *eventLoop) waitFor(timeout time.Duration) time.Duration {
	if len(lp.resume) > 0 {
		return 0
	}
	lp.readyMu.Lock()
	readyNow := len(lp.ready) > 0 // queued by the loop itself, without a wake-up
	lp.readyMu.Unlock()
	if readyNow {
		return 0
	}
	lp.tick()
	wait := timeout
	for _, t := range [...]*timerList{&lp.headerTimers, &lp.idleTimers, &lp.bodyTimers, &lp.writeTimers, &lp.lingerTimers, &lp.pingTimers, &lp.streamStallTimers} {
		if d := t.next(); d >= 0 {
			wait = minWait(wait, max(d-lp.now, 0))
		}
	}
	if lp.acceptResume > 0 {
		wait = minWait(wait, max(lp.acceptResume-lp.now, 0))
	}
	return wait
}

func minWait(a, b time.Duration) time.Duration {
	if a < 0 || b < a {
		return b
	}
	return a
}

func (lp *eventLoop) tick() {
	lp.wall = time.Now()
	lp.now = lp.wall.Sub(lp.start)
}

func (lp *eventLoop) fireTimers() {
	lp.headerTimers.fire(lp.now)
	lp.idleTimers.fire(lp.now)
	lp.bodyTimers.fire(lp.now)
	lp.writeTimers.fire(lp.now)
	lp.lingerTimers.fire(lp.now)
	lp.pingTimers.fire(lp.now)
	lp.streamStallTimers.fire(lp.now)
	if lp.acceptResume > 0 && lp.now >= lp.acceptResume {
		lp.acceptResume = 0
		for i, l := range lp.listeners {
			if l.paused && !lp.shuttingDown {
				l.paused = false
				if !lp.acceptsPaused {
					lp.poll.modify(l.sock, listenerToken|uint64(i), wantRead)
				}
			}
		}
	}
}

func (lp *eventLoop) dispatchEvent(ev pollEvent) {
	if ev.token&listenerToken != 0 {
		idx := int(ev.token &^ listenerToken)
		if idx < len(lp.listeners) {
			lp.acceptAll(idx)
		}
		return
	}
	slot := uint32(ev.token)
	if int(slot) >= len(lp.slots) {
		return
	}
	c := lp.slots[slot]
	if c == nil || c.gen != uint32(ev.token>>32) {
		return // an event for a connection closed earlier in this turn
	}
	if ev.writable && c.interest&wantWrite != 0 {
		if !lp.flush(c) {
			return
		}
	}
	if ev.readable {
		switch {
		case c.interest&wantRead != 0:
			lp.onReadable(c)
		case c.interest&wantHangup != 0:
			lp.onClientGone(c)
		case ev.hangup:
			lp.closeConn(c, CloseAbnormal)
		}
	}
}

// setInterest tells the poller what c waits for, when that changed.
func (lp *eventLoop) setInterest(c *conn, want interest) {
	if c.interest == want {
		return
	}
	c.interest = want
	lp.poll.modify(c.sock, c.token(), want)
}

// setWrite changes only whether c waits for room to write.
func (lp *eventLoop) setWrite(c *conn, on bool) {
	want := c.interest &^ wantWrite
	if on {
		want |= wantWrite
	}
	lp.setInterest(c, want)
}

// runPosts runs functions posted from other goroutines, in order.
func (lp *eventLoop) runPosts() {
	lp.postMu.Lock()
	fns := lp.posts
	lp.posts = lp.spareFns[:0]
	lp.postMu.Unlock()
	if len(fns) == 0 {
		lp.spareFns = fns
		return
	}
	for i, f := range fns {
		lp.callPosted(f)
		fns[i] = nil
	}
	lp.spareFns = fns[:0]
}

// serveReady handles connections that other goroutines queued bytes or
// finished answers for.
func (lp *eventLoop) serveReady() {
	lp.readyMu.Lock()
	list := lp.ready
	lp.ready = lp.readySpare[:0]
	lp.readyMu.Unlock()
	for _, c := range list {
		if !c.closed() {
			lp.serveQueued(c)
		}
	}
	clear(list)
	lp.readySpare = list[:0]
}

// wakeFor puts c on the ready list and wakes the loop. Any goroutine.
func (lp *eventLoop) wakeFor(c *conn) {
	lp.readyMu.Lock()
	lp.ready = append(lp.ready, c)
	lp.readyMu.Unlock()
	lp.poll.wake()
}

// hasPosts reports whether functions wait to be posted. Any goroutine.
func (lp *eventLoop) hasPosts() bool {
	lp.postMu.Lock()
	defer lp.postMu.Unlock()
	return len(lp.posts) > 0
}

// teardown closes everything when the server stops, on the goroutine that
// drove the loop. Posts are closed first and what was posted before runs,
// so that every Post either ran or returned ErrClosed.
func (lp *eventLoop) teardown() {
	lp.postMu.Lock()
	lp.postsClosed = true
	fns := lp.posts
	lp.posts = nil
	lp.postMu.Unlock()
	for _, f := range fns {
		lp.callPosted(f)
	}
	lp.stopping = true
	for _, c := range lp.slots {
		if c != nil {
			lp.closeConn(c, CloseAbnormal)
		}
	}
	for _, l := range lp.listeners {
		lp.closeListener(l)
	}
	lp.pace.stop()
	lp.poll.close()
	lp.drainedOnce.Do(func() { close(lp.drained) })
}
