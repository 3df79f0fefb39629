package ws

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
)

// permessage-deflate (RFC 7692) on the reading side. A compressed message
// is gathered whole (as it came, within MaxMessageBytes) and inflated
// into a buffer of the Reader's own, which may grow only to
// MaxMessageBytes: a message that inflates past it fails with 1009 as
// soon as the inflater has produced one byte too many, so a small bomb
// never costs more than the limit. The inflater is pooled and reset for
// every message: the Reader assumes client_no_context_takeover, which the
// server requires in its answer, and keeps no window between messages.

var (
	errRsv1Misplaced error = ProtocolError{ws.StatusProtocolError, "RSV1 set on a control frame or a continuation"}
	errBadDeflate    error = ProtocolError{ws.StatusInvalidFramePayloadData, "invalid compressed data"}
)

// inflater is a pooled decompressor for one message at a time.
type inflater struct {
	src bytes.Reader
	r   *wsflate.Reader
}

// resettable gives flate's reader the Reset(io.Reader) wsflate reuses it
// with, instead of making a new one (tens of KiB) per message.
type resettable struct{ io.ReadCloser }

func (f resettable) Reset(src io.Reader) { f.ReadCloser.(flate.Resetter).Reset(src, nil) }

var inflaters = sync.Pool{New: func() any {
	f := &inflater{}
	f.r = wsflate.NewReader(&f.src, func(src io.Reader) wsflate.Decompressor {
		return resettable{flate.NewReader(src)}
	})
	return f
}}

// rsvAllowed reports whether h's reserved bits are ones the negotiated
// extension gives a meaning: RSV1 alone, on the first frame of a data
// message, when Compression is on.
func (r *Reader) rsvAllowed(h ws.Header) bool {
	return r.Compression && h.Rsv == ws.Rsv(true, false, false) &&
		(h.OpCode == ws.OpText || h.OpCode == ws.OpBinary)
}

// rsvError is the error for reserved bits rsvAllowed refused.
func (r *Reader) rsvError(h ws.Header) error {
	if r.Compression && h.Rsv == ws.Rsv(true, false, false) {
		return errRsv1Misplaced
	}
	return errRsv
}

// inflate decompresses the whole compressed message z into the Reader's
// own buffer and checks text as UTF-8.
func (r *Reader) inflate(z []byte) ([]byte, error) {
	f := inflaters.Get().(*inflater)
	defer inflaters.Put(f)
	f.src.Reset(z)
	f.r.Reset(&f.src)
	limit := r.limit()
	out := r.out[:0]
	for {
		if len(out) == cap(out) {
			if int64(len(out)) > limit {
				return nil, errTooBig // one byte past the limit is proof enough
			}
			c := min(max(2*cap(out), minBuffer), int(min(limit+1, int64(^uint(0)>>1))))
			nb := make([]byte, len(out), c)
			copy(nb, out)
			out = nb
			r.out = out
		}
		n, err := f.r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errBadDeflate
		}
	}
	if int64(len(out)) > limit {
		return nil, errTooBig
	}
	r.out = out
	if r.msgOp == ws.OpText && !utf8.Valid(out) {
		return nil, errInvalidUTF8
	}
	return out, nil
}
