package phttp

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	readBufSize     = 64 << 10 // one read; also the most a pipelined batch is answered from
	lingerTimeout   = 2 * time.Second
	acceptBackoff   = 100 * time.Millisecond
	maxAcceptBatch  = 128 // accepts per listener per turn, so accepting cannot starve serving
	maxRejecting    = 64  // connections over MaxConnections still being sent their 503
	listenerTokenOf = 1 << 63
)

// listener is one listening socket; ln stays open (a unix socket's path
// lives with it) while the loop accepts on its own duplicate, sock.
type listener struct {
	ln     net.Listener
	sock   sysSocket
	paused bool
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
	nextID    ConnID
	rejecting int

	events  []pollEvent
	readBuf []byte
	iov     [][]byte
	outPool [][]byte
	rsPool  []*reqState
	resume  []*conn // connections with buffered input or work to go on with
	spare   []*conn

	start  time.Time
	now    time.Duration // loop clock: time since start
	wall   time.Time
	date   dateCache
	wsReq  Request  // reused for WebSocket events
	wsResp Response // reused for WebSocket events

	headerTimers, idleTimers, bodyTimers, writeTimers, lingerTimers timerList
	acceptResume                                                    time.Duration // when paused listeners resume, or 0

	// ready lists connections other goroutines queued work for.
	readyMu sync.Mutex // guards ready
	ready   []*conn
	// readySpare is the loop's: the list serveReady handled last turn,
	// kept for its capacity.
	readySpare []*conn
	// posts are functions to run on the loop, in order.
	postMu sync.Mutex // guards posts and postsClosed
	posts  []func()
	// postsClosed refuses posts once the loop has torn down.
	postsClosed bool
	spareFns    []func()

	// inCallback is true while the loop runs user code (the handler or a
	// posted function); goroutine is the loop's goroutine ID. Together
	// they tell a send made from user code on the loop, which must not
	// wait, from one made on another goroutine. Shared (read by senders).
	inCallback atomic.Bool
	goroutine  atomic.Uint64
	// current is the Response of the handler call in progress: its
	// WebSocket replies are the loop's own and skip the goroutine check.
	current atomic.Pointer[Response]

	scratch   []byte    // the loop's buffer for building refusals
	heads     headArena // where request heads are copied for their strings
	localOnly bool      // every listener is loopback or unix: AllowedHosts defaults apply
	listened  bool

	shuttingDown bool
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
		},
	}
	lp.wall = lp.start
	lp.headerTimers = timerList{after: lp.lim.headerTimeout, node: readNode, expire: lp.onReadTimeout}
	lp.idleTimers = timerList{after: lp.lim.idleTimeout, node: readNode, expire: lp.onIdleTimeout}
	lp.bodyTimers = timerList{after: lp.lim.idleTimeout, node: readNode, expire: lp.onReadTimeout}
	lp.lingerTimers = timerList{after: lingerTimeout, node: readNode, expire: lp.onLingerTimeout}
	// The write timer runs in two halves of WriteTimeout (see onWriteTimeout).
	lp.writeTimers = timerList{after: max(lp.lim.writeTimeout/2, time.Millisecond), node: writeNode, expire: lp.onWriteTimeout}
	return lp, nil
}

func (lp *eventLoop) addListener(l net.Listener) error {
	sock, err := listenerSocket(l)
	if err != nil {
		return err
	}
	idx := len(lp.listeners)
	if err := lp.poll.add(sock, listenerTokenOf|uint64(idx)); err != nil {
		closeSocket(sock)
		return err
	}
	lp.srv.mu.Lock()
	lp.listeners = append(lp.listeners, &listener{ln: l, sock: sock})
	lp.srv.mu.Unlock()
	local := isLocalListener(l.Addr())
	lp.localOnly = local && (lp.localOnly || !lp.listened)
	lp.listened = true
	return nil
}

// step is one turn: wait for events (or the next timer), handle them, run
// posted functions and other goroutines' queued work, fire due timers.
func (lp *eventLoop) step(timeout time.Duration) error {
	if !lp.listened {
		return ErrNotListening
	}
	if lp.goroutine.Load() == 0 {
		lp.goroutine.Store(currentGoroutineID())
	}
	wait := lp.waitFor(timeout)
	evs, err := lp.poll.wait(lp.events, wait)
	lp.events = evs[:0]
	if err != nil {
		return err
	}
	lp.tick()
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
	for _, t := range [...]*timerList{&lp.headerTimers, &lp.idleTimers, &lp.bodyTimers, &lp.writeTimers, &lp.lingerTimers} {
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
	if lp.acceptResume > 0 && lp.now >= lp.acceptResume {
		lp.acceptResume = 0
		for i, l := range lp.listeners {
			if l.paused && !lp.shuttingDown {
				l.paused = false
				lp.poll.modify(l.sock, listenerTokenOf|uint64(i), true, false)
			}
		}
	}
}

func (lp *eventLoop) dispatchEvent(ev pollEvent) {
	if ev.token&listenerTokenOf != 0 {
		idx := int(ev.token &^ listenerTokenOf)
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
	if ev.writable && c.writeOn {
		if !lp.flush(c) {
			return
		}
	}
	if ev.readable {
		if c.readOn {
			lp.onReadable(c)
		} else if ev.hangup {
			lp.closeConn(c, CloseAbnormal)
		}
	}
}

// acceptAll accepts what the listener has, up to a batch.
func (lp *eventLoop) acceptAll(idx int) {
	l := lp.listeners[idx]
	for range maxAcceptBatch {
		if l.paused {
			return
		}
		sock, addr, err := acceptSocket(l.sock)
		switch {
		case err == nil:
			lp.adopt(sock, addr)
		case errors.Is(err, errWouldBlock):
			return
		case errors.Is(err, errNoDescriptors):
			// Out of descriptors: the pending connection stays in the
			// backlog; stop asking for a while instead of spinning.
			lp.srv.logger().Warn("phttp: accept: out of descriptors; pausing accepts", "backoff", acceptBackoff, "listener", l.ln.Addr().String())
			l.paused = true
			lp.poll.modify(l.sock, listenerTokenOf|uint64(idx), false, false)
			lp.acceptResume = lp.now + acceptBackoff
			return
		default:
			lp.srv.logger().Error("phttp: accept", "err", err, "listener", l.ln.Addr().String())
			return
		}
	}
}

// adopt registers an accepted socket as a connection.
func (lp *eventLoop) adopt(sock sysSocket, addr net.Addr) {
	reject := lp.srv.Connections() >= lp.lim.maxConns
	if reject && lp.rejecting >= maxRejecting {
		closeSocket(sock)
		return
	}
	c := &conn{sock: sock, remote: addr, keepAlive: true}
	c.q.limit = lp.lim.queueBytes
	if len(lp.freeSlots) > 0 {
		c.slot = lp.freeSlots[len(lp.freeSlots)-1]
		lp.freeSlots = lp.freeSlots[:len(lp.freeSlots)-1]
	} else {
		c.slot = uint32(len(lp.slots))
		lp.slots = append(lp.slots, nil)
	}
	lp.nextID++
	c.id = lp.nextID
	c.gen = uint32(c.id)
	if err := lp.poll.add(sock, c.token()); err != nil {
		lp.srv.logger().Error("phttp: poller add", "err", err)
		closeSocket(sock)
		lp.freeSlots = append(lp.freeSlots, c.slot)
		return
	}
	lp.slots[c.slot] = c
	c.readOn = true
	if reject {
		c.rejected = true
		lp.rejecting++
		lp.srv.logger().Debug("phttp: over MaxConnections; answering 503", "remote", addr.String(), "max", lp.lim.maxConns)
		lp.queueLoop(c, response503)
		lp.beginClose(c)
		return
	}
	lp.srv.connCount.Add(1)
	lp.srv.conns.put(c)
	lp.headerTimers.arm(c, lp.now)
}

func (c *conn) token() uint64 { return uint64(c.gen)<<32 | uint64(c.slot) }

var response503 = []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\nConnection: close\r\n\r\nToo many connections")

// setInterest tells the poller what c waits for, when that changed.
func (lp *eventLoop) setInterest(c *conn, read, write bool) {
	if c.readOn == read && c.writeOn == write {
		return
	}
	c.readOn, c.writeOn = read, write
	lp.poll.modify(c.sock, c.token(), read, write)
}

// onReadable reads once from c and feeds what came to its phase.
func (lp *eventLoop) onReadable(c *conn) {
	var buf []byte
	own := len(c.inBuf) > 0
	if own {
		if cap(c.inBuf)-len(c.inBuf) < 4096 {
			grown := make([]byte, len(c.inBuf), max(2*cap(c.inBuf), len(c.inBuf)+readBufSize/4))
			copy(grown, c.inBuf)
			c.inBuf = grown
		}
		buf = c.inBuf[len(c.inBuf):cap(c.inBuf)]
	} else {
		buf = lp.readBuf
	}
	n, err := readSocket(c.sock, buf)
	if err != nil {
		if errors.Is(err, errWouldBlock) {
			return
		}
		lp.onReadEnd(c, err)
		return
	}
	if c.lingering || c.rejected {
		return // draining so that close sends FIN, not RST
	}
	c.served = 0
	if own {
		lp.consumeOwn(c, c.inBuf[:len(c.inBuf)+n])
	} else {
		lp.consumeShared(c, lp.readBuf[:n])
	}
	lp.flushIfQueued(c)
}

// flushIfQueued writes what this turn's answers queued on c: one writev for
// a whole pipelined batch.
func (lp *eventLoop) flushIfQueued(c *conn) {
	if lp.slots[c.slot] == c && c.phase != phaseClosing && lp.queuedBytes(c) > 0 {
		lp.flush(c)
	}
}

// onReadEnd handles EOF or a read error.
func (lp *eventLoop) onReadEnd(c *conn, err error) {
	if err != io.EOF || c.lingering || c.rejected || c.phase == phaseWS || c.phase == phaseClosing {
		lp.closeConn(c, CloseAbnormal)
		return
	}
	// The client half-closed: answer what it sent, then close.
	c.peerEOF = true
	c.keepAlive = false
	lp.setInterest(c, false, c.writeOn)
	switch {
	case c.phase == phaseAnswer:
		// The detached answer finishes; finishRequest then closes.
	case c.phase == phaseHead && c.rs != nil:
		lp.beginClose(c) // a head cut short: nothing to answer
	case c.phase == phaseHead && len(c.inBuf) == 0:
		lp.beginClose(c) // between requests: nothing more will come
	case c.phase == phaseBody || c.phase == phaseDiscard:
		lp.closeConn(c, CloseAbnormal) // a body cut short
	}
	// Otherwise whole requests wait in inBuf (the turn's budget ran out):
	// they are answered, and finishRequest closes after the last.
}

// consumeShared feeds bytes read into the shared buffer; what is left (a
// partial head or frame) is copied into the connection's own buffer.
func (lp *eventLoop) consumeShared(c *conn, data []byte) {
	used := lp.consume(c, data)
	if used < len(data) && lp.slots[c.slot] == c && !c.lingering {
		rest := data[used:]
		c.inBuf = append(make([]byte, 0, max(len(rest)+4096, 8192)), rest...)
	}
}

// consumeOwn feeds the connection's own buffer and keeps the rest at its front.
func (lp *eventLoop) consumeOwn(c *conn, data []byte) {
	used := lp.consume(c, data)
	if lp.slots[c.slot] != c {
		return
	}
	n := copy(data, data[used:])
	if n == 0 {
		c.inBuf = nil
		return
	}
	c.inBuf = data[:n]
}

// schedule puts c on the resume list to go on next turn.
func (lp *eventLoop) schedule(c *conn) {
	if !c.scheduled {
		c.scheduled = true
		lp.resume = append(lp.resume, c)
	}
}

// serveResume goes on with connections that stopped for fairness or were
// unblocked: their buffered input is consumed before anything new is read.
func (lp *eventLoop) serveResume() {
	if len(lp.resume) == 0 {
		return
	}
	list := lp.resume
	lp.resume = lp.spare[:0]
	for _, c := range list {
		c.scheduled = false
		c.served = 0
		if lp.slots[c.slot] != c {
			continue
		}
		if len(c.inBuf) > 0 && c.phase != phaseAnswer && c.phase != phaseClosing {
			lp.consumeOwn(c, c.inBuf)
		}
		if lp.slots[c.slot] == c {
			lp.updateRead(c)
			lp.flushIfQueued(c)
		}
	}
	clear(list)
	lp.spare = list[:0]
}

// updateRead asks for readability only when the connection can take input:
// not while an answer is pending or the queue holds a full SendQueueBytes,
// not while it is over its pipelining budget for this turn.
func (lp *eventLoop) updateRead(c *conn) { lp.setRead(c, lp.queuedBytes(c)) }

// setRead is updateRead for a caller that knows the queued bytes.
func (lp *eventLoop) setRead(c *conn, queued int) {
	read := !c.peerEOF
	switch {
	case c.lingering:
		read = true
	case c.phase == phaseAnswer, c.phase == phaseClosing:
		read = false
	case c.scheduled:
		read = false
	case queued >= lp.lim.queueBytes:
		read = false
	}
	lp.setInterest(c, read, c.writeOn)
}

func (lp *eventLoop) queuedBytes(c *conn) int {
	c.q.mu.Lock()
	n := c.q.queued
	c.q.mu.Unlock()
	return n
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
		if lp.slots[c.slot] == c {
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

// teardown closes everything when the server stops; on the loop goroutine.
func (lp *eventLoop) teardown() {
	lp.postMu.Lock()
	lp.postsClosed = true
	lp.posts = nil
	lp.postMu.Unlock()
	for _, c := range lp.slots {
		if c != nil {
			lp.closeConn(c, CloseAbnormal)
		}
	}
	for _, l := range lp.listeners {
		if !lp.shuttingDown {
			lp.poll.remove(l.sock)
		}
		closeSocket(l.sock)
		l.ln.Close()
	}
	lp.poll.close()
	lp.drainedOnce.Do(func() { close(lp.drained) })
}
