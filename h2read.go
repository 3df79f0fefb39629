package phttp

import "encoding/binary"

// The HTTP/2 read path: the client's preface, then one frame at a time,
// each checked as RFC 9113 §6 says and handled. A connection error ends
// the connection with GOAWAY (h2Fail); a stream error only its stream
// with RST_STREAM (h2Reset).

// readH2 consumes the preface or one whole frame from data and returns the
// bytes used, or 0 for "need more".
func (lp *eventLoop) readH2(c *conn, data []byte) int {
	h := c.h2
	if h.preface < len(h2Preface) {
		n := min(len(data), len(h2Preface)-h.preface)
		if string(data[:n]) != h2Preface[h.preface:h.preface+n] {
			lp.h2Fail(c, h2ProtocolError, "bad connection preface")
			return len(data)
		}
		h.preface += n
		return n
	}
	f, size, ok := parseH2Frame(data)
	if size > h2MinFrame {
		lp.h2Fail(c, h2FrameSizeError, "frame larger than SETTINGS_MAX_FRAME_SIZE")
		return len(data)
	}
	if !ok {
		return 0
	}
	lp.h2FrameIn(c, &f)
	return h2HeaderLen + size
}

// h2FrameIn handles one frame.
func (lp *eventLoop) h2FrameIn(c *conn, f *h2Frame) {
	h := c.h2
	switch {
	case !h.settings && (f.typ != h2Settings || f.has(h2FlagAck)):
		lp.h2Fail(c, h2ProtocolError, "the preface must be followed by SETTINGS")
		return
	case h.cont && f.typ != h2Continuation:
		lp.h2Fail(c, h2ProtocolError, "a header block was interrupted")
		return
	}
	switch f.typ {
	case h2Data:
		lp.h2DataIn(c, f)
	case h2Headers:
		lp.h2HeadersIn(c, f)
	case h2Priority:
		lp.h2PriorityIn(c, f)
	case h2RSTStream:
		lp.h2RSTIn(c, f)
	case h2Settings:
		lp.h2SettingsIn(c, f)
	case h2PushPromise:
		lp.h2Fail(c, h2ProtocolError, "a client sent PUSH_PROMISE")
	case h2Ping:
		lp.h2PingIn(c, f)
	case h2GoAway:
		lp.h2GoAwayIn(c, f)
	case h2WindowUpdate:
		lp.h2WindowUpdateIn(c, f)
	case h2Continuation:
		lp.h2ContinuationIn(c, f)
	}
	// Other types are extensions: ignored (RFC 9113 §4.1, §5.5).
}

// h2Empty counts a frame that carries nothing; too many in a row are a
// flood (CVE-2019-9518).
func (lp *eventLoop) h2Empty(c *conn) bool {
	c.h2.empties++
	if c.h2.empties > h2MaxEmptyFrames {
		lp.h2Fail(c, h2EnhanceYourCalm, "empty frame flood")
		return true
	}
	return false
}

func (lp *eventLoop) h2DataIn(c *conn, f *h2Frame) {
	h := c.h2
	if f.stream == 0 {
		lp.h2Fail(c, h2ProtocolError, "DATA on stream 0")
		return
	}
	data, ok := unpad(f)
	if !ok {
		lp.h2Fail(c, h2ProtocolError, "DATA padding")
		return
	}
	// The whole payload, padding included, counts against the windows
	// (RFC 9113 §6.9.1), whatever stream it is on.
	size := int64(len(f.payload))
	if size > h.recvWindow {
		lp.h2Fail(c, h2FlowControlError, "DATA past the connection window")
		return
	}
	h.recvWindow -= size
	h.recvUnacked += size
	if h.recvUnacked >= h2ConnWindow/4 {
		lp.queueWindow(c, 0, h.recvUnacked)
		h.recvWindow += h.recvUnacked
		h.recvUnacked = 0
	}
	if len(data) == 0 && !f.has(h2FlagEndStream) {
		if lp.h2Empty(c) {
			return
		}
	} else {
		h.empties = 0
	}
	st := h.streams[f.stream]
	switch {
	case st == nil && f.stream > h.lastStream:
		lp.h2Fail(c, h2ProtocolError, "DATA on an idle stream")
		return
	case st == nil:
		lp.h2ResetID(c, f.stream, h2StreamClosed)
		return
	case st.remoteDone:
		lp.h2Reset(c, st, h2StreamClosed)
		return
	case size > st.recvWindow:
		lp.h2Reset(c, st, h2FlowControlError)
		return
	}
	st.recvWindow -= size
	// What goes to a BodyReader is given back as it reads; the rest (a
	// buffered body, bounded by MaxBodyBytes; padding) at once.
	credit := size
	if st.rs.pipe != nil && st.rs.pipe.wanted() {
		credit -= int64(len(data))
		st.pipeIn += int64(len(data))
	}
	lp.h2Body(c, st, data, f.has(h2FlagEndStream))
	if !st.gone && !st.remoteDone && credit > 0 {
		st.recvUnacked += credit
		if st.recvUnacked >= h2StreamWindow/4 {
			lp.h2WindowUpdate(c, st, st.recvUnacked)
			st.recvUnacked = 0
		}
	}
	if !st.gone && !st.remoteDone && st.recvWindow > 0 {
		lp.bodyTimers.arm(c, lp.now) // progress: no need to look at the other streams
		return
	}
	lp.h2Timers(c)
}

// queueWindow queues a WINDOW_UPDATE.
func (lp *eventLoop) queueWindow(c *conn, id uint32, n int64) {
	p := appendH2Header(lp.scratch[:0], 4, h2WindowUpdate, 0, id)
	p = appendUint32(p, uint32(n))
	lp.scratch = p
	lp.queueLoop(c, p)
}

func (lp *eventLoop) h2HeadersIn(c *conn, f *h2Frame) {
	h := c.h2
	if f.stream == 0 || f.stream%2 == 0 {
		lp.h2Fail(c, h2ProtocolError, "HEADERS on stream 0 or a server stream")
		return
	}
	p, ok := unpad(f)
	if !ok {
		lp.h2Fail(c, h2ProtocolError, "HEADERS padding")
		return
	}
	selfDep := false
	if f.has(h2FlagPriority) {
		if len(p) < 5 {
			lp.h2Fail(c, h2FrameSizeError, "HEADERS priority")
			return
		}
		selfDep = binary.BigEndian.Uint32(p)&(1<<31-1) == f.stream
		p = p[5:]
	}
	if f.stream < h.lastStream && h.streams[f.stream] == nil {
		lp.h2Fail(c, h2StreamClosed, "HEADERS on a closed stream") // a new stream must have a higher number
		return
	}
	if len(p) == 0 && !f.has(h2FlagEndHeaders) {
		if lp.h2Empty(c) {
			return
		}
	} else {
		h.empties = 0
	}
	if f.has(h2FlagEndHeaders) {
		lp.h2HeaderBlock(c, f.stream, f.has(h2FlagEndStream), selfDep, p)
		return
	}
	if len(p) > lp.h2MaxBlock() {
		lp.h2Fail(c, h2EnhanceYourCalm, "header block too large")
		return
	}
	h.block = append(h.block[:0], p...)
	h.cont, h.contStream, h.contEnd, h.contPrio = true, f.stream, f.has(h2FlagEndStream), selfDep
}

// h2MaxBlock bounds a header block gathered over CONTINUATION frames
// (CVE-2024-27316): twice MaxHeaderBytes, since HPACK's literals may be
// longer than what they decode to only by so much.
func (lp *eventLoop) h2MaxBlock() int { return 2 * lp.lim.maxHeader }

func (lp *eventLoop) h2ContinuationIn(c *conn, f *h2Frame) {
	h := c.h2
	if !h.cont || f.stream != h.contStream {
		lp.h2Fail(c, h2ProtocolError, "CONTINUATION out of place")
		return
	}
	if len(f.payload) == 0 && !f.has(h2FlagEndHeaders) {
		if lp.h2Empty(c) {
			return
		}
	}
	if len(h.block)+len(f.payload) > lp.h2MaxBlock() {
		lp.h2Fail(c, h2EnhanceYourCalm, "header block too large")
		return
	}
	h.block = append(h.block, f.payload...)
	if !f.has(h2FlagEndHeaders) {
		return
	}
	h.cont = false
	block := h.block
	lp.h2HeaderBlock(c, h.contStream, h.contEnd, h.contPrio, block)
	if cap(h.block) > 16<<10 {
		h.block = nil
	} else if h.block != nil {
		h.block = h.block[:0]
	}
}

func (lp *eventLoop) h2PriorityIn(c *conn, f *h2Frame) {
	switch {
	case f.stream == 0:
		lp.h2Fail(c, h2ProtocolError, "PRIORITY on stream 0")
	case len(f.payload) != 5:
		lp.h2ResetStreamOrID(c, f.stream, h2FrameSizeError)
	case binary.BigEndian.Uint32(f.payload)&(1<<31-1) == f.stream:
		lp.h2ResetStreamOrID(c, f.stream, h2ProtocolError)
	}
	// Otherwise parsed and ignored: RFC 9113 §5.3.2 lets a server do so.
}

// h2ResetStreamOrID resets the stream id, open or not.
func (lp *eventLoop) h2ResetStreamOrID(c *conn, id uint32, code h2Code) {
	if st := c.h2.streams[id]; st != nil {
		lp.h2Reset(c, st, code)
		return
	}
	lp.h2ResetID(c, id, code)
}

func (lp *eventLoop) h2RSTIn(c *conn, f *h2Frame) {
	h := c.h2
	switch {
	case len(f.payload) != 4:
		lp.h2Fail(c, h2FrameSizeError, "RST_STREAM length")
		return
	case f.stream == 0:
		lp.h2Fail(c, h2ProtocolError, "RST_STREAM on stream 0")
		return
	case f.stream > h.lastStream:
		lp.h2Fail(c, h2ProtocolError, "RST_STREAM on an idle stream")
		return
	}
	st := h.streams[f.stream]
	if st == nil {
		return
	}
	if !st.localDone {
		// Streams reset before their answer cost us a handler call each
		// and the client nothing (CVE-2023-44487): past a bound, the
		// connection goes.
		h.resets++
		if h.resets > h2MaxResets {
			lp.h2Fail(c, h2EnhanceYourCalm, "rapid reset")
			return
		}
	}
	lp.closeStream(c, st, ErrClosed)
}

func (lp *eventLoop) h2SettingsIn(c *conn, f *h2Frame) {
	h := c.h2
	switch {
	case f.stream != 0:
		lp.h2Fail(c, h2ProtocolError, "SETTINGS on a stream")
		return
	case f.has(h2FlagAck):
		if len(f.payload) != 0 {
			lp.h2Fail(c, h2FrameSizeError, "SETTINGS ACK with a payload")
		}
		return
	case len(f.payload)%6 != 0:
		lp.h2Fail(c, h2FrameSizeError, "SETTINGS length")
		return
	}
	for p := f.payload; len(p) > 0; p = p[6:] {
		id, v := binary.BigEndian.Uint16(p), binary.BigEndian.Uint32(p[2:])
		switch id {
		case h2SetHeaderTableSize:
			h.enc.SetMaxDynamicTableSize(min(v, h2DefaultHPACK))
		case h2SetEnablePush:
			if v > 1 {
				lp.h2Fail(c, h2ProtocolError, "SETTINGS_ENABLE_PUSH")
				return
			}
		case h2SetInitialWindowSize:
			if v > h2MaxWindow {
				lp.h2Fail(c, h2FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE")
				return
			}
			delta := int64(v) - h.peerInitWindow
			h.peerInitWindow = int64(v)
			for _, st := range h.streams {
				st.sendWindow += delta
				if st.sendWindow > h2MaxWindow {
					lp.h2Fail(c, h2FlowControlError, "a stream window past 2^31-1")
					return
				}
			}
		case h2SetMaxFrameSize:
			if v < h2MinFrame || v > h2MaxFrame {
				lp.h2Fail(c, h2ProtocolError, "SETTINGS_MAX_FRAME_SIZE")
				return
			}
			h.peerMaxFrame = int(v)
		}
	}
	var ack [h2HeaderLen]byte
	lp.queueLoop(c, appendH2Header(ack[:0], 0, h2Settings, h2FlagAck, 0))
	if !h.settings {
		h.settings = true
		lp.headerTimers.disarm(c)
		lp.h2Timers(c)
	}
	lp.h2Pump(c)
}

func (lp *eventLoop) h2PingIn(c *conn, f *h2Frame) {
	switch {
	case len(f.payload) != 8:
		lp.h2Fail(c, h2FrameSizeError, "PING length")
	case f.stream != 0:
		lp.h2Fail(c, h2ProtocolError, "PING on a stream")
	case !f.has(h2FlagAck):
		// The answer waits in the queue like any other: a client that
		// pings without reading stops being read (the queue's limit).
		var hdr [h2HeaderLen]byte
		lp.queueLoop(c, appendH2Header(hdr[:0], 8, h2Ping, h2FlagAck, 0), f.payload)
	}
}

func (lp *eventLoop) h2GoAwayIn(c *conn, f *h2Frame) {
	switch {
	case f.stream != 0:
		lp.h2Fail(c, h2ProtocolError, "GOAWAY on a stream")
	case len(f.payload) < 8:
		lp.h2Fail(c, h2FrameSizeError, "GOAWAY length")
	default:
		// The client will open no more streams: those in progress finish,
		// then the connection closes.
		c.h2.peerGoAway = true
		lp.h2CloseIfDone(c)
	}
}

func (lp *eventLoop) h2WindowUpdateIn(c *conn, f *h2Frame) {
	h := c.h2
	if len(f.payload) != 4 {
		lp.h2Fail(c, h2FrameSizeError, "WINDOW_UPDATE length")
		return
	}
	inc := int64(binary.BigEndian.Uint32(f.payload) & (1<<31 - 1))
	if f.stream == 0 {
		if inc == 0 {
			lp.h2Fail(c, h2ProtocolError, "WINDOW_UPDATE of 0")
			return
		}
		h.sendWindow += inc
		if h.sendWindow > h2MaxWindow {
			lp.h2Fail(c, h2FlowControlError, "connection window past 2^31-1")
			return
		}
		lp.h2Pump(c)
		return
	}
	st := h.streams[f.stream]
	switch {
	case st == nil && f.stream > h.lastStream:
		lp.h2Fail(c, h2ProtocolError, "WINDOW_UPDATE on an idle stream")
		return
	case st == nil:
		return // a closed stream: late updates are expected
	case inc == 0:
		lp.h2Reset(c, st, h2ProtocolError)
		return
	}
	st.sendWindow += inc
	if st.sendWindow > h2MaxWindow {
		lp.h2Reset(c, st, h2FlowControlError)
		return
	}
	lp.h2Pump(c)
}
