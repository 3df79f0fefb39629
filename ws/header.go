package ws

import (
	"encoding/binary"

	"github.com/gobwas/ws"
)

// parseHeader decodes the frame header at the start of b. size is 0 when b
// holds only part of a header ("need more"); nothing is checked against the
// connection's state here, only the wire format.
//
// gobwas's ReadHeader is not used because it reads from an io.Reader into a
// fresh buffer and reports a short input as io.EOF or io.ErrUnexpectedEOF
// after having consumed bytes; here a short input must leave b untouched.
func parseHeader(b []byte) (h ws.Header, size int, err error) {
	if len(b) < 2 {
		return h, 0, nil
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] >> 4) & 0x7 // RSV1..3 in gobwas's layout (Rsv1 is 0x4)
	h.OpCode = ws.OpCode(b[0] & 0x0f)
	h.Masked = b[1]&0x80 != 0
	size = 2
	switch n := b[1] & 0x7f; n {
	case 126:
		if len(b) < 4 {
			return h, 0, nil
		}
		h.Length = int64(binary.BigEndian.Uint16(b[2:]))
		size = 4
	case 127:
		if len(b) < 10 {
			return h, 0, nil
		}
		u := binary.BigEndian.Uint64(b[2:])
		if u>>63 != 0 {
			// RFC 6455 §5.2: the most significant bit MUST be 0. Rejected
			// before the mask arrives: no later byte can make it valid.
			return h, 0, errLengthMSB
		}
		h.Length = int64(u)
		size = 10
		// Non-minimal encodings (a small length in 16 or 64 bits) are
		// accepted: they are unambiguous, and browsers never send them.
	default:
		h.Length = int64(n)
	}
	if h.Masked {
		if len(b) < size+4 {
			return h, 0, nil
		}
		copy(h.Mask[:], b[size:size+4])
		size += 4
	}
	return h, size, nil
}
