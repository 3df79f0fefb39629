package phttp

import (
	"bytes"
	"slices"
	"sync"

	"golang.org/x/net/http2/hpack"
)

// An HTTP/2 connection (RFC 9113) is a connection in phaseH2: its input
// is frames (h2read.go), each stream is one request with its own Request
// and Response (h2stream.go), and every stream's answer leaves through
// the connection's one queue as frames, as flow control allows
// (h2send.go). All of h2Conn is the loop's, but for ready, which other
// goroutines append to when a detached answer has something new.

// Our side's settings. The receive windows are what flow control lets a
// client send ahead: per stream as much as a BodyReader may hold unread
// (bodyWindow), and per connection enough for many streams at once.
const (
	h2StreamWindow = bodyWindow
	h2ConnWindow   = 1 << 20
	// h2StreamBuffer is what a detached answer may have queued on its
	// stream and not yet framed (flow control may hold it) before its
	// Flush waits: one slow stream holds its own sender, nobody else.
	h2StreamBuffer = 256 << 10
	// Flood bounds: frames that cost us work and carry nothing.
	h2MaxEmptyFrames = 100 // DATA without data or END_STREAM, CONTINUATION without a fragment, in a row
	h2MaxResets      = 200 // streams the client reset before their answer, beyond those answered
)

type h2Conn struct {
	preface  int  // bytes of the client preface matched so far
	settings bool // the client's first SETTINGS came

	dec     *hpack.Decoder
	enc     *hpack.Encoder
	encBuf  bytes.Buffer
	fields  []hpack.HeaderField // the header block being decoded
	listLen int                 // its size as SETTINGS_MAX_HEADER_LIST_SIZE counts
	maxList int                 // MaxHeaderBytes: past it, fields are counted, not kept
	tooBig  bool                // it passed maxList

	// block gathers a header block split over CONTINUATION frames; while
	// cont is set, only CONTINUATION frames of contStream may come.
	block      []byte
	cont       bool
	contStream uint32
	contEnd    bool // the HEADERS frame had END_STREAM
	contPrio   bool // ... and a priority that depended on its own stream

	peerMaxFrame    int
	peerInitWindow  int64
	sendWindow      int64 // connection-level: what we may send
	recvWindow      int64 // connection-level: what the client may still send
	recvUnacked     int64 // received and not yet given back with WINDOW_UPDATE
	streams         map[uint32]*h2Stream
	lastStream      uint32      // the highest stream the client opened
	goAway          bool        // our GOAWAY went: no new streams
	peerGoAway      bool        // the client's came
	empties, resets int         // flood counters
	sending         []*h2Stream // streams with output to frame, in round-robin order

	stallTimer timerNode // streams held by the client's windows (onStreamStall)

	readyMu   sync.Mutex  // guards ready and scheduled
	ready     []*h2Stream // streams other goroutines queued output for
	scheduled bool        // the connection is on the loop's ready list for them
}

// h2Wanted reports whether data, the first bytes of a plain connection,
// open the HTTP/2 preface (when h2c is on): complete tells whether it is
// all there.
func (lp *eventLoop) h2Wanted(c *conn, data []byte) (prefix, complete bool) {
	if !lp.h2cOn(c) || c.began {
		return false, false
	}
	n := min(len(data), len(h2Preface))
	if string(data[:n]) != h2Preface[:n] {
		return false, false
	}
	return true, n == len(h2Preface)
}

// h2cOn reports whether a plain connection may still turn to HTTP/2.
func (lp *eventLoop) h2cOn(c *conn) bool {
	return lp.lim.protocols&UnencryptedHTTP2 != 0 && c.tls == nil
}

// looksLikeHTTP1 reports whether the first line of data names an HTTP/1
// version, or may yet (no line end came).
func looksLikeHTTP1(data []byte) bool {
	line, _, whole := bytes.Cut(data, []byte("\n"))
	return !whole || bytes.Contains(line, []byte(" HTTP/1."))
}

// dropNeither closes a connection that opened with neither HTTP/1 nor
// the HTTP/2 preface: on a server that speaks h2c, an answer in HTTP/1
// would be taken for frames by an HTTP/2 client (RFC 9113 §3.4 lets the
// GOAWAY go unsent).
func (lp *eventLoop) dropNeither(c *conn) {
	lp.srv.logger().Debug("phttp: neither HTTP/1 nor the HTTP/2 preface; closing", "remote", c.remote.String(), "conn", uint64(c.id))
	lp.srv.counters.refused.Add(1)
	lp.beginClose(c)
}

// refuseHTTP1 answers an HTTP/1 request on a server that speaks only
// HTTP/2: 505, or nothing for bytes that are not HTTP/1 either.
func (lp *eventLoop) refuseHTTP1(c *conn, data []byte) {
	if !looksLikeHTTP1(data) {
		lp.dropNeither(c)
		return
	}
	lp.refuse(c, &requestError{505, "this server speaks only HTTP/2"})
}

// startH2 makes c an HTTP/2 connection: our SETTINGS and the connection
// window go out at once (RFC 9113 §3.4: the server's preface), and the
// client's preface is read next.
func (lp *eventLoop) startH2(c *conn) {
	if !lp.enter(c, phaseH2) {
		return
	}
	c.began = true
	h := &h2Conn{
		peerMaxFrame:   h2MinFrame,
		peerInitWindow: h2InitWindow,
		sendWindow:     h2InitWindow,
		recvWindow:     h2ConnWindow,
		streams:        make(map[uint32]*h2Stream),
		maxList:        lp.lim.maxHeader,
	}
	h.enc = hpack.NewEncoder(&h.encBuf)
	h.dec = hpack.NewDecoder(h2DefaultHPACK, h.emit)
	h.dec.SetMaxStringLength(lp.lim.maxHeader)
	c.h2 = h
	p := lp.scratch[:0]
	p = appendH2Header(p, 3*6, h2Settings, 0, 0)
	p = appendSetting(p, h2SetMaxConcurrentStreams, uint32(lp.lim.maxStreams))
	p = appendSetting(p, h2SetInitialWindowSize, h2StreamWindow)
	p = appendSetting(p, h2SetMaxHeaderListSize, uint32(lp.lim.maxHeader))
	p = appendH2Header(p, 4, h2WindowUpdate, 0, 0)
	p = appendUint32(p, h2ConnWindow-h2InitWindow)
	lp.scratch = p
	lp.queueLoop(c, p)
}

func appendSetting(dst []byte, id uint16, v uint32) []byte {
	return appendUint32(append(dst, byte(id>>8), byte(id)), v)
}

// emit collects one decoded field, counting it as SETTINGS_MAX_HEADER_LIST_SIZE
// does (RFC 9113 §6.5.2: name, value and 32 octets).
func (h *h2Conn) emit(f hpack.HeaderField) {
	h.listLen += len(f.Name) + len(f.Value) + 32
	if h.tooBig = h.tooBig || h.listLen > h.maxList; h.tooBig {
		return
	}
	h.fields = append(h.fields, f)
}

// h2Fail ends c for a connection error: GOAWAY with the code and the last
// stream we will have handled, then a graceful close, so the client reads
// why (RFC 9113 §5.4.1). Logged once, at Debug: it is the client's fault.
func (lp *eventLoop) h2Fail(c *conn, code h2Code, why string) {
	if c.closing() {
		return
	}
	lp.srv.logger().Debug("phttp: HTTP/2 connection error; closing", "code", code.String(), "why", why, "remote", c.remote.String(), "conn", uint64(c.id))
	if code != h2NoError {
		lp.srv.counters.refused.Add(1)
	}
	lp.queueGoAway(c, code)
	lp.beginClose(c)
}

// queueGoAway queues GOAWAY once: streams up to the last one the client
// opened are still served (RFC 9113 §6.8), later ones ignored.
func (lp *eventLoop) queueGoAway(c *conn, code h2Code) {
	h := c.h2
	if h.goAway && code == h2NoError {
		return
	}
	h.goAway = true
	p := appendH2Header(lp.scratch[:0], 8, h2GoAway, 0, 0)
	p = appendUint32(p, h.lastStream)
	p = appendUint32(p, uint32(code))
	lp.scratch = p
	lp.queueLoop(c, p)
}

// h2Shutdown is Shutdown for an HTTP/2 connection: GOAWAY, then close once
// the streams in progress are done.
func (lp *eventLoop) h2Shutdown(c *conn) {
	lp.queueGoAway(c, h2NoError)
	lp.h2CloseIfDone(c)
	if !c.closing() {
		lp.flush(c)
	}
}

// h2CloseIfDone closes a connection that said (or was told) GOAWAY once
// its last stream is done.
func (lp *eventLoop) h2CloseIfDone(c *conn) {
	h := c.h2
	if (h.goAway || h.peerGoAway) && len(h.streams) == 0 && !c.closing() {
		lp.beginClose(c)
		return
	}
	lp.h2Timers(c)
}

// h2Timers keeps c's read timer right: the idle timer while no stream is
// open, the body timer while a stream waits for body bytes, none while
// every stream waits for its answer (WriteTimeout covers those).
func (lp *eventLoop) h2Timers(c *conn) {
	if c.closing() || !c.h2.settings {
		return
	}
	var want *timerList
	switch {
	case len(c.h2.streams) == 0:
		want = &lp.idleTimers
	case c.h2.awaitingBody():
		want = &lp.bodyTimers
	}
	if c.readTimer.list == want && want != &lp.bodyTimers {
		return
	}
	if l := c.readTimer.list; l != nil {
		l.disarm(c)
	}
	if want != nil {
		want.arm(c, lp.now)
	}
}

// awaitingBody reports whether some stream waits for body bytes the
// client has room to send.
func (h *h2Conn) awaitingBody() bool {
	for _, st := range h.streams {
		if !st.remoteDone && st.recvWindow > 0 {
			return true
		}
	}
	return false
}

// h2Release drops every stream of a closing connection: their contexts
// end, their readers and senders get ErrClosed (or ErrServerStopped).
func (lp *eventLoop) h2Release(c *conn) {
	h := c.h2
	if h == nil {
		return
	}
	cause := lp.closeCause()
	for _, st := range h.streams {
		lp.dropStream(c, st, cause)
	}
	h.sending = nil
	h.block, h.fields = nil, nil
}

// h2Held is what c's streams hold of request bodies being gathered, for
// MaxBufferedBytes.
func (h *h2Conn) held() int {
	n := cap(h.block)
	for _, st := range h.streams {
		n += cap(st.rs.body)
		if st.rs.pipe != nil {
			n += st.rs.pipe.held()
		}
	}
	return n
}

// onStreamStall resets the streams whose answers the client's flow
// control windows held for WriteTimeout without a byte going out: as on
// HTTP/1.1, a consumer that takes nothing must not hold its sender, whose
// Flush or Send then returns ErrClosed. The other streams go on.
func (lp *eventLoop) onStreamStall(c *conn) {
	h := c.h2
	held := false
	for _, st := range slices.Clone(h.sending) {
		switch {
		case st.gone || st.heldSince == 0:
		case lp.now-st.heldSince >= lp.lim.writeTimeout:
			lp.srv.logger().Debug("phttp: HTTP/2 stream held by flow control past WriteTimeout; resetting", "stream", st.id, "remote", c.remote.String(), "conn", uint64(c.id))
			lp.srv.counters.evicted.Add(1)
			lp.h2Reset(c, st, h2Cancel)
			if c.closing() {
				return
			}
		default:
			held = true
		}
	}
	if held {
		lp.streamStallTimers.arm(c, lp.now)
	}
	lp.flush(c)
}

// streamHeld notes that st has data the windows do not let out.
func (lp *eventLoop) streamHeld(c *conn, st *h2Stream) {
	if st.heldSince == 0 {
		st.heldSince = max(lp.now, 1)
	}
	if c.h2.stallTimer.list == nil {
		lp.streamStallTimers.arm(c, lp.now)
	}
}
