package ws

import "github.com/gobwas/ws"

// DefaultMaxMessageBytes is the message size limit of a Reader whose
// MaxMessageBytes is zero.
const DefaultMaxMessageBytes = 16 << 20

// MaxFragments bounds the frames of one message. Without it a message of
// empty continuation frames would never end and never reach
// MaxMessageBytes: a client could keep a core busy for as long as it
// liked. Browsers send a message in one frame; a streaming sender that
// fragments 16 MiB into 4 KiB pieces stays under it.
const MaxFragments = 4096

// Reader parses the frames a client sends, incrementally, from the bytes
// that have arrived so far, and assembles them into messages. The zero value
// is ready to use. A Reader is not safe for concurrent use; it is meant to be
// owned by the goroutine that reads the connection.
type Reader struct {
	// MaxMessageBytes bounds a whole message (all its fragments). A frame
	// header that would take a message past it fails the connection with
	// 1009 before any of that frame's payload is buffered. A message of
	// exactly MaxMessageBytes is accepted. Zero or less means
	// DefaultMaxMessageBytes (16 MiB).
	MaxMessageBytes int64

	// Compression says permessage-deflate (RFC 7692) was negotiated, with
	// client_no_context_takeover: RSV1 may then mark the first frame of a
	// data message, and such a message is inflated (inflate.go) before it
	// is delivered. Off, any reserved bit fails with 1002.
	Compression bool

	buf []byte // the message under assembly, when it is not read in place
	out []byte // the inflated message, for a compressed one

	// The data frame whose payload is being read (inFrame), its header and
	// how far into the payload we are. framePos doubles as the mask offset.
	inFrame   bool
	frame     ws.Header
	framePos  int64
	remaining int64

	msgOp     ws.OpCode // ws.OpText or ws.OpBinary while a message is open, else 0
	msgLen    int64     // payload bytes announced so far by the open message's frames
	fragments int       // data frames of the open message so far
	text      utf8State // validator for the open text message
	deflated  bool      // the open message is compressed (RSV1 on its first frame)

	delivered bool  // the last event's payload is buf: reclaim it on the next call
	closed    bool  // a close frame was read: the peer may send nothing more
	err       error // sticky: once the peer broke the protocol, Read repeats it
}

// Reset returns r to its initial state, as for a new connection. It keeps a
// small assembly buffer for reuse and MaxMessageBytes as it is.
func (r *Reader) Reset() {
	r.reclaim()
	*r = Reader{MaxMessageBytes: r.MaxMessageBytes, Compression: r.Compression, buf: r.buf, out: r.out}
}

// Read consumes a prefix of in and returns at most one event.
//
// It parses frames from in until it has an event to return or needs more
// input. So when ev.Kind is None, in[n:] is the start of something
// incomplete (a partial frame header, or a control frame not yet whole): the
// caller keeps those bytes and calls Read again with more appended. n may be
// positive with Kind None: data frame payload is absorbed into the message
// under assembly as it arrives, without waiting for the frame to be whole.
// Input that is merely short is never an error; an error is reported as soon
// as the bytes present prove one (a 64-bit length with its top bit set is
// refused before the mask that follows it arrives).
//
// Payload bytes are unmasked in place in in, so in must be writable;
// unconsumed bytes are never modified (unless Read fails). ev.Payload is a sub-slice of in when
// a single-frame message or a control frame is wholly present (no copy), and
// the Reader's own buffer otherwise; either way it is valid only until the
// next Read or Reset. Calling Read with an empty in after handling an event
// is cheap and lets the Reader drop a large message buffer at once.
//
// A ProtocolError means the peer broke RFC 6455: the connection must be
// failed, with a close frame carrying the error's Code. n then counts what
// was consumed before the error was found (of no further use: the stream is
// broken), and every later call returns the same error until Reset.
//
// After a Close event the peer may send nothing more (RFC 6455 §5.5.1):
// later calls consume all of in (n = len(in)) and return Kind None, so the
// caller can drain the socket while its own close frame goes out.
func (r *Reader) Read(in []byte) (n int, ev Event, err error) {
	if r.err != nil {
		return 0, ev, r.err
	}
	if r.closed {
		return len(in), ev, nil
	}
	if r.delivered {
		r.delivered = false
		r.reclaim()
	}
	for {
		if r.inFrame {
			var done bool
			n, ev, done, err = r.readPayload(in, n)
			if err != nil || !done || ev.Kind != None {
				return n, ev, r.fail(err)
			}
			continue // a non-final fragment ended: on to the next header
		}

		var h ws.Header
		var size int
		h, size, err = parseHeader(in[n:])
		if err != nil {
			return n, ev, r.fail(err)
		}
		if size == 0 {
			return n, ev, nil
		}
		if err = r.check(h); err != nil {
			return n, ev, r.fail(err)
		}

		if h.OpCode.IsControl() {
			end := n + size + int(h.Length) // Length ≤ 125: checked above
			if end > len(in) {
				// Control frames are small: wait until the whole frame is
				// here, so that it is handled in one piece and in place.
				return n, ev, nil
			}
			ev, err = r.control(h, in[n+size:end])
			if err != nil {
				return n, ev, r.fail(err)
			}
			return end, ev, nil
		}

		if h.OpCode != ws.OpContinuation {
			r.msgOp, r.msgLen, r.fragments, r.text = h.OpCode, 0, 0, utf8Accept
			r.deflated = h.Rsv != 0 // check let RSV1 through only where it means compressed
		}
		if r.fragments++; r.fragments > MaxFragments {
			return n, ev, r.fail(errTooManyFragments)
		}
		// Refuse an oversized message when the header announces it, before
		// any of its payload is kept. Written as a subtraction so that a
		// 63-bit length cannot overflow the sum.
		if h.Length > r.limit()-r.msgLen {
			return n, ev, r.fail(errTooBig)
		}
		r.msgLen += h.Length
		r.inFrame, r.frame, r.framePos, r.remaining = true, h, 0, h.Length
		n += size
	}
}

// control handles a whole control frame whose payload is p (still masked).
func (r *Reader) control(h ws.Header, p []byte) (Event, error) {
	ws.Cipher(p, h.Mask, 0)
	switch h.OpCode {
	case ws.OpPing:
		return Event{Kind: Ping, Payload: p}, nil
	case ws.OpPong:
		return Event{Kind: Pong, Payload: p}, nil
	default: // ws.OpClose: check already refused the reserved control opcodes
		code, reason, err := parseClose(p)
		if err != nil {
			return Event{}, err
		}
		r.closed = true
		return Event{Kind: Close, Payload: p, Code: code, Reason: reason}, nil
	}
}

// readPayload takes as much of the current data frame's payload as in[n:]
// holds. done reports that the frame ended; ev is the message when the frame
// was its last.
func (r *Reader) readPayload(in []byte, n int) (_ int, ev Event, done bool, err error) {
	chunk := in[n:]
	if int64(len(chunk)) > r.remaining {
		chunk = chunk[:r.remaining]
	}
	if len(chunk) == 0 && r.remaining > 0 {
		return n, ev, false, nil
	}
	// In place (no copy) when this chunk is the whole message: a final frame
	// read from its first payload byte, with nothing assembled before it.
	inPlace := r.frame.Fin && r.framePos == 0 &&
		int64(len(chunk)) == r.remaining && len(r.buf) == 0

	ws.Cipher(chunk, r.frame.Mask, int(r.framePos&3))
	if r.msgOp == ws.OpText && !r.deflated && !r.text.write(chunk) {
		return n, ev, false, errInvalidUTF8
	}
	if !inPlace {
		r.appendBuf(chunk)
	}
	n += len(chunk)
	r.framePos += int64(len(chunk))
	r.remaining -= int64(len(chunk))
	if r.remaining > 0 {
		return n, ev, false, nil
	}

	r.inFrame = false
	if !r.frame.Fin {
		return n, ev, true, nil
	}
	if r.msgOp == ws.OpText && !r.deflated && !r.text.complete() {
		return n, ev, true, errInvalidUTF8 // the message ends inside a code point
	}
	ev.Kind = Binary
	if r.msgOp == ws.OpText {
		ev.Kind = Text
	}
	if inPlace {
		ev.Payload = chunk
	} else {
		ev.Payload = r.buf
		r.delivered = true
	}
	if r.deflated {
		r.delivered = true // out is lent now
		if ev.Payload, err = r.inflate(ev.Payload); err != nil {
			return n, Event{}, true, err
		}
	}
	r.msgOp, r.msgLen = 0, 0
	return n, ev, true, nil
}

// limit is the effective MaxMessageBytes.
func (r *Reader) limit() int64 {
	if r.MaxMessageBytes <= 0 {
		return DefaultMaxMessageBytes
	}
	return r.MaxMessageBytes
}

// fail makes err sticky and returns it; nil passes through.
func (r *Reader) fail(err error) error {
	if err != nil {
		r.err = err
	}
	return err
}
