package phttp

import (
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"
)

// The HTTP/2 send path. An answer reaches its stream's out (the loop's own
// synchronously, a detached one from its goroutine with credit); the loop
// encodes its head with the connection's HPACK encoder and frames its data
// into the connection's queue as the stream's and the connection's flow
// control windows allow, one frame per stream in turn, so one slow stream
// holds only itself and every stream's frames of a turn leave in one
// writev. The queue's own limit pauses the framing (and, as on HTTP/1.1,
// the reading) when the client does not read at all.

// h2Answer sends the handler's answer for st, on the loop.
func (lp *eventLoop) h2Answer(c *conn, st *h2Stream) {
	w := &st.rs.resp
	w.checkStatus()
	body := w.Body
	if !w.bodyAllowed() {
		body = nil
	}
	w.done = true
	head := &h2Head{status: w.status(), fields: w.Header, length: w.wholeLength()}
	q := &st.out
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	st.head = head
	if len(body) > 0 {
		q.items = append(q.items, outItem{b: body}) // Body stays the stream's until it ends
		q.queued += len(body)
	}
	st.end = true
	st.trailer = w.h2Trailer()
	q.mu.Unlock()
	lp.h2Sending(c, st)
	lp.h2Pump(c)
}

// h2Trailer is what of w's Trailer ends its stream: the fields that may
// be trailers, named as HTTP/2 sends them (lowercase; names that are not
// tokens left out), in a copy, since the stream frames them later, when
// their owner may be filling another answer; nil for none, or for an
// answer that has no body to follow.
func (w *Response) h2Trailer() Header {
	if len(w.Trailer) == 0 || !w.bodyAllowed() {
		return nil
	}
	var t Header
	for _, f := range w.Trailer {
		if name, ok := h2FieldName(f.Name); ok && trailerAllowed(f.Name) {
			t = append(t, HeaderField{Name: name, Value: f.Value})
		}
	}
	return t
}

// wholeLength is the content-length of an answer sent whole, as
// appendWhole decides it on HTTP/1.1; -1 for none.
func (w *Response) wholeLength() int64 {
	if !w.lengthAllowed() {
		return -1
	}
	userLen := w.Header.Get("Content-Length")
	switch {
	case w.isHead && userLen != "" && validLength(userLen):
		n, _ := strconv.ParseInt(userLen, 10, 64)
		return n
	case w.isHead && len(w.Body) == 0:
		return -1
	}
	return int64(len(w.Body))
}

// h2Flush is Flush and Send for a detached answer on an HTTP/2 stream:
// the head the first time, then Body as DATA, ending the stream when
// final. It waits while the stream holds h2StreamBuffer unframed bytes.
func (w *Response) h2Flush(final bool) error {
	var head *h2Head
	if !w.wroteHead {
		w.wroteHead = true
		w.checkStatus()
		if v := w.Header.Get("Content-Length"); v != "" && validLength(v) {
			w.declared, _ = strconv.ParseInt(v, 10, 64)
		}
		length := w.declared
		if final && w.declared < 0 {
			length = w.wholeLength()
		}
		if !w.lengthAllowed() {
			length = -1
		}
		var date [29]byte
		head = &h2Head{status: w.status(), fields: slices.Clone(w.Header), length: length, date: string(sharedDate(&date))}
	}
	body := w.Body
	w.Body = w.Body[:0]
	over := false
	if !w.bodyAllowed() {
		body = nil
	}
	if w.declared >= 0 && w.sent+int64(len(body)) > w.declared {
		body = body[:w.declared-w.sent]
		over = true
	}
	w.sent += int64(len(body))
	mismatch := over || final && w.declared >= 0 && w.sent != w.declared && w.bodyAllowed()
	var data []byte
	if len(body) > 0 {
		data = append(w.answerBuf(len(body)), body...)
	}
	if mismatch || final {
		w.done = true
	}
	var trailer Header
	if final && !mismatch {
		trailer = w.h2Trailer()
	}
	if err := w.h2Post(head, data, trailer, final && !mismatch, mismatch); err != nil {
		return err
	}
	if mismatch {
		return ErrContentLength
	}
	return nil
}

// h2Abort is Abort on an HTTP/2 stream: RST_STREAM tells the client the
// answer failed, and the connection's other streams go on.
func (w *Response) h2Abort() {
	w.Body = w.Body[:0]
	w.done = true
	_ = w.h2Post(nil, nil, nil, false, true)
}

// h2Post hands a piece of a detached answer to the loop: credit first for
// its data (waiting, unless the handler call still runs, where waiting
// would wait for the loop itself), then onto the stream's out; trailer
// goes with its end.
func (w *Response) h2Post(head *h2Head, data []byte, trailer Header, end, abort bool) error {
	st := w.h2
	q := &st.out
	it := outItem{b: data, pooled: cap(data) == outChunk, shared: data != nil && cap(data) != outChunk}
	if len(data) > 0 {
		var passed <-chan struct{}
		if w.writeDL != nil {
			passed = w.writeDL.wait()
		}
		var err error
		it.credit, err = q.acquireUntil(len(data), !w.inCall.Load(), passed)
		if err == ErrQueueFull {
			err = nil // in the handler call: the loop's own answer, which never waits
		}
		if err != nil {
			w.lp.releaseItem(&it, nil)
			if err != ErrClosed {
				w.done = true
				w.h2Post(nil, nil, nil, false, true) // it cannot end as framed: reset
			}
			return err
		}
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		q.refund(it.credit)
		w.lp.releaseItem(&it, nil)
		return ErrClosed
	}
	if head != nil {
		st.head = head
	}
	if len(data) > 0 {
		q.items = append(q.items, it)
		q.queued += len(data)
	}
	st.end = st.end || end
	if end {
		st.trailer = trailer
	}
	st.abort = st.abort || abort
	mark := !st.marked
	st.marked = true
	q.mu.Unlock()
	if mark {
		w.lp.h2Ready(w.c, st)
	}
	return nil
}

// h2Ready tells the loop that st has output from another goroutine. Any
// goroutine.
func (lp *eventLoop) h2Ready(c *conn, st *h2Stream) {
	h := c.h2
	h.readyMu.Lock()
	h.ready = append(h.ready, st)
	wake := !h.scheduled
	h.scheduled = true
	h.readyMu.Unlock()
	if wake {
		lp.wakeFor(c)
	}
}

// h2Serve takes what other goroutines queued for c's streams: answers to
// frame, and BodyReaders that made room for more body.
func (lp *eventLoop) h2Serve(c *conn) {
	h := c.h2
	h.readyMu.Lock()
	list := h.ready
	h.ready = nil
	h.scheduled = false
	h.readyMu.Unlock()
	for _, st := range list {
		st.out.mu.Lock()
		st.marked = false
		st.out.mu.Unlock()
		if st.gone {
			continue
		}
		lp.h2CreditPipe(c, st)
		lp.h2Sending(c, st)
		if c.closing() {
			return
		}
	}
	lp.h2Pump(c)
	if !c.closed() {
		lp.flush(c)
	}
}

// h2Sending puts st in the framing round.
func (lp *eventLoop) h2Sending(c *conn, st *h2Stream) {
	if !st.sending && !st.gone {
		st.sending = true
		c.h2.sending = append(c.h2.sending, st)
	}
}

// h2Pump frames what the streams have, a frame per stream per round,
// until the windows or the queue stop it.
func (lp *eventLoop) h2Pump(c *conn) {
	h := c.h2
	for len(h.sending) > 0 && !c.closing() {
		moved := false
		list := h.sending
		keep := list[:0]
		for _, st := range list {
			more, m := lp.h2Frame(c, st)
			moved = moved || m
			if c.closing() {
				return
			}
			if more && !st.gone {
				keep = append(keep, st)
			} else {
				st.sending = false
			}
		}
		clear(list[len(keep):])
		h.sending = keep
		if !moved {
			return
		}
	}
}

// h2QueueLimit is how full the connection's queue may get from framing:
// half of SendQueueBytes, so that reading (paused at the whole) goes on
// while a big answer streams, and WINDOW_UPDATEs keep coming.
func (lp *eventLoop) h2QueueLimit() int { return lp.lim.queueBytes / 2 }

// h2Frame frames the next piece of st's answer: its head, one DATA frame,
// its end, or its reset. more reports that st has more to send.
func (lp *eventLoop) h2Frame(c *conn, st *h2Stream) (more, moved bool) {
	if st.gone || st.localDone {
		return false, false
	}
	h := c.h2
	q := &st.out
	q.mu.Lock()
	if st.abort {
		q.mu.Unlock()
		lp.h2Reset(c, st, h2InternalError)
		return false, true
	}
	if head := st.head; head != nil {
		st.head = nil
		endNow := st.end && len(q.items) == 0
		trailer := st.trailer
		lp.queueH2Head(c, st.id, head, endNow && trailer == nil)
		if endNow {
			q.mu.Unlock()
			lp.h2End(c, st, trailer)
			return false, true
		}
		moved = true
	}
	if len(q.items) == 0 {
		if st.end {
			trailer := st.trailer
			q.mu.Unlock()
			if trailer == nil {
				lp.queueH2Data(c, st.id, nil, true)
			}
			lp.h2End(c, st, trailer)
			return false, true
		}
		q.mu.Unlock()
		return false, moved
	}
	room := min(st.sendWindow, h.sendWindow, int64(h.peerMaxFrame))
	if room <= 0 {
		q.mu.Unlock()
		lp.streamHeld(c, st)
		return true, moved
	}
	if lp.queuedBytes(c) >= lp.h2QueueLimit() {
		q.mu.Unlock()
		return true, moved // the connection's write timer watches the queue
	}
	st.heldSince = 0
	it := &q.items[0]
	b := it.b[q.head:]
	n := int(min(int64(len(b)), room))
	last := n == len(b) && len(q.items) == 1 && st.end
	trailer := st.trailer
	lp.queueH2Data(c, st.id, b[:n], last && trailer == nil)
	st.sendWindow -= int64(n)
	h.sendWindow -= int64(n)
	q.queued -= n
	q.head += n
	if q.head == len(it.b) {
		q.head = 0
		credit := it.credit
		lp.releaseItem(it, nil)
		*it = outItem{}
		q.items = q.items[1:]
		if len(q.items) == 0 {
			q.items = nil
		}
		q.releaseLocked(credit)
	}
	more = len(q.items) > 0 || st.end
	q.mu.Unlock()
	if last {
		lp.h2End(c, st, trailer)
		return false, true
	}
	return more, true
}

// h2End ends st's answer, whose last frame went without END_STREAM when
// it has a trailer: the trailer's HEADERS frame carries it then.
func (lp *eventLoop) h2End(c *conn, st *h2Stream, trailer Header) {
	if trailer != nil {
		lp.queueH2Trailer(c, st.id, trailer)
	}
	lp.h2Done(c, st)
}

// h2Done notes that st's END_STREAM is queued.
func (lp *eventLoop) h2Done(c *conn, st *h2Stream) {
	st.localDone = true
	if c.h2.resets > 0 {
		c.h2.resets-- // an answered stream earns back a rapid reset
	}
	lp.h2Progress(c, st)
}

// queueH2Data queues one DATA frame.
func (lp *eventLoop) queueH2Data(c *conn, id uint32, p []byte, end bool) {
	var flags uint8
	if end {
		flags = h2FlagEndStream
	}
	var hdr [h2HeaderLen]byte
	lp.queueLoop(c, appendH2Header(hdr[:0], len(p), h2Data, flags, id), p)
}

// queueH2Head encodes an answer's head and queues it as HEADERS (and
// CONTINUATION past the client's frame size).
func (lp *eventLoop) queueH2Head(c *conn, id uint32, head *h2Head, end bool) {
	h := c.h2
	h.encBuf.Reset()
	enc := h.enc
	enc.WriteField(hpack.HeaderField{Name: ":status", Value: statusValue(head.status)})
	date := head.date
	if date == "" {
		date = lp.h2Date()
	}
	enc.WriteField(hpack.HeaderField{Name: "date", Value: date})
	for _, f := range head.fields {
		name, ok := h2FieldName(f.Name)
		if !ok {
			continue
		}
		switch name {
		case "content-length", "transfer-encoding", "date", "connection", "keep-alive", "proxy-connection", "upgrade":
			continue // the server's own, or meaningless on HTTP/2 (RFC 9113 §8.2.2)
		}
		enc.WriteField(hpack.HeaderField{Name: name, Value: h2FieldValue(f.Value)})
	}
	if head.length >= 0 {
		enc.WriteField(hpack.HeaderField{Name: "content-length", Value: strconv.FormatInt(head.length, 10)})
	}
	lp.queueH2Block(c, id, h.encBuf.Bytes(), end)
}

// queueH2Trailer encodes an answer's trailer fields (h2Trailer chose and
// named them) and queues them as the HEADERS frame that ends the stream.
func (lp *eventLoop) queueH2Trailer(c *conn, id uint32, trailer Header) {
	h := c.h2
	h.encBuf.Reset()
	for _, f := range trailer {
		h.enc.WriteField(hpack.HeaderField{Name: f.Name, Value: h2FieldValue(f.Value)})
	}
	lp.queueH2Block(c, id, h.encBuf.Bytes(), true)
}

// queueH2Block queues a header block as HEADERS, and CONTINUATION past
// the client's frame size.
func (lp *eventLoop) queueH2Block(c *conn, id uint32, block []byte, end bool) {
	h := c.h2
	typ := h2Headers
	var flags uint8
	if end {
		flags = h2FlagEndStream
	}
	for first := true; first || len(block) > 0; first = false {
		n := min(len(block), h.peerMaxFrame)
		f := flags
		if n == len(block) {
			f |= h2FlagEndHeaders
		}
		var hdr [h2HeaderLen]byte
		lp.queueLoop(c, appendH2Header(hdr[:0], n, typ, f, id), block[:n])
		block = block[n:]
		typ, flags = h2Continuation, 0
	}
}

// h2Date is the loop's Date value as a string, made once a second.
func (lp *eventLoop) h2Date() string {
	d := lp.date.get(lp.wall)
	if string(d) != lp.h2DateValue {
		lp.h2DateValue = string(d)
	}
	return lp.h2DateValue
}

// statusValues are the :status values, made once.
var statusValues = func() (v [600]string) {
	for i := 100; i < 600; i++ {
		v[i] = strconv.Itoa(i)
	}
	return
}()

func statusValue(s int) string {
	if s >= 100 && s < 600 {
		return statusValues[s]
	}
	return strconv.Itoa(s)
}

// h2FieldName is a handler's field name as HTTP/2 sends it: lowercase;
// ok is false for a name that is not a token (dropped, as appendField
// drops it).
func h2FieldName(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	upper := false
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !tokenByte[b] {
			return "", false
		}
		upper = upper || 'A' <= b && b <= 'Z'
	}
	if !upper {
		return name, true
	}
	if l, ok := commonLower[name]; ok {
		return l, true
	}
	return strings.ToLower(name), true
}

// commonLower spares the usual fields a lowercasing per answer.
var commonLower = func() map[string]string {
	m := make(map[string]string)
	for _, n := range []string{"Content-Type", "Cache-Control", "Content-Encoding", "Etag", "ETag", "Last-Modified",
		"Location", "Set-Cookie", "Vary", "Server", "Access-Control-Allow-Origin", "X-Content-Type-Options",
		"Accept-Ranges", "Content-Range", "Expires", "Content-Disposition", "Strict-Transport-Security", "Www-Authenticate", "X-Frame-Options"} {
		m[n] = strings.ToLower(n)
	}
	return m
}()

// h2FieldValue blanks the control bytes a value must not carry, as
// appendField does on HTTP/1.1.
func h2FieldValue(v string) string {
	for i := 0; i < len(v); i++ {
		if unsafeValueByte[v[i]] {
			b := []byte(v)
			for j := i; j < len(b); j++ {
				if unsafeValueByte[b[j]] {
					b[j] = ' '
				}
			}
			return string(b)
		}
	}
	return v
}

// h2Continue sends an interim 100 (Continue) on st: the client asked
// before sending its body, and the handler did not answer at the head.
func (lp *eventLoop) h2Continue(c *conn, st *h2Stream) {
	lp.queueH2Head(c, st.id, &h2Head{status: 100, length: -1}, false)
}

// h2CreditPipe gives the client back, with WINDOW_UPDATE, the body bytes
// st's BodyReader took (or dropped, once closed), so that a slow reader
// slows only its own stream.
func (lp *eventLoop) h2CreditPipe(c *conn, st *h2Stream) {
	p := st.rs.pipe
	if p == nil || st.remoteDone {
		return
	}
	done := p.progress()
	if done < 0 {
		done = st.pipeIn // closed: what it held was dropped, and is given back too
	}
	if d := done - st.pipeCredit; d > 0 {
		st.pipeCredit = done
		lp.h2WindowUpdate(c, st, d)
	}
}

// h2WindowUpdate opens st's receive window (and the connection's) by n.
func (lp *eventLoop) h2WindowUpdate(c *conn, st *h2Stream, n int64) {
	st.recvWindow += n
	p := appendH2Header(lp.scratch[:0], 4, h2WindowUpdate, 0, st.id)
	p = appendUint32(p, uint32(n))
	lp.scratch = p
	lp.queueLoop(c, p)
}
