package ws

// Buffer sizing. A message is copied into the Reader's buffer only when it
// does not arrive whole in one input (fragments, or a frame split across
// reads); the buffer then grows by doubling from minBuffer, never past
// MaxMessageBytes. After delivery a buffer up to keepBuffer is kept for the
// next message; a bigger one is dropped so that one large message does not
// pin its memory to an idle connection.
const (
	minBuffer  = 512
	keepBuffer = 4 << 10
)

// appendBuf adds p to the message under assembly. Growth doubles but is
// capped at the message limit, so the buffer never holds more memory than
// MaxMessageBytes however the message is cut; and it follows the bytes that
// actually arrived, never the length a header claims.
func (r *Reader) appendBuf(p []byte) {
	if len(p) == 0 {
		return
	}
	need := len(r.buf) + len(p)
	if need > cap(r.buf) {
		c := max(2*cap(r.buf), need, minBuffer)
		if lim := r.limit(); int64(c) > lim {
			c = int(lim)
		}
		c = max(c, need) // only if MaxMessageBytes shrank mid-message
		nb := make([]byte, len(r.buf), c)
		copy(nb, r.buf)
		r.buf = nb
	}
	r.buf = append(r.buf, p...)
}

// reclaim empties the buffer once its contents are no longer lent out,
// keeping it for reuse only if it is small.
func (r *Reader) reclaim() {
	r.buf = r.buf[:0]
	if cap(r.buf) > keepBuffer {
		r.buf = nil
	}
	r.out = r.out[:0]
	if cap(r.out) > keepBuffer {
		r.out = nil
	}
}

// Buffered reports the memory the Reader holds for a message under
// assembly (its buffer's capacity), for a server that bounds the total
// over all its connections.
func (r *Reader) Buffered() int { return cap(r.buf) + cap(r.out) }
