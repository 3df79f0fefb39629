package phttp

import (
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"sync"

	"github.com/gobwas/httphead"
	gws "github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	pws "github.com/phttp-go/phttp/ws"
)

// permessage-deflate (RFC 7692), server side. The server compresses every
// message on its own (server_no_context_takeover): a compressed Message
// is then the same bytes for every connection, and an idle connection
// holds no compressor. It asks the same of clients
// (client_no_context_takeover), so that it needs no 32 KiB inflate window
// per connection between messages either: inflaters and deflaters are
// pooled, held only while one message is (de)compressed. See DESIGN.md.

// deflateResponse is the extension the server answers with: the same
// whatever was offered, since both parameters may be sent unasked.
const deflateResponse = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

// minDeflate is the smallest payload worth compressing: below it the
// deflate block's own overhead eats most of the gain.
const minDeflate = 64

// deflateLevel trades ratio for speed as gorilla and browsers do: a
// broadcast is compressed once, but a reply on the loop is compressed on
// the loop.
const deflateLevel = flate.BestSpeed

// negotiateDeflate returns the Sec-WebSocket-Extensions answer to the
// client's offers, or "" to decline them all. Offers are tried in the
// client's order (its preference); one with a malformed, unknown or
// repeated parameter is declined (RFC 7692 §5), as is one that limits
// server_max_window_bits below 15, since compress/flate always uses a
// 32 KiB window; an offer of 15 is accepted by repeating it (§7.1.2.1).
// client_max_window_bits needs no answer: without context takeover the
// inflater decodes any window up to 32 KiB.
func negotiateDeflate(h Header) string {
	var opts []httphead.Option
	for _, v := range h.Values("Sec-WebSocket-Extensions") {
		var ok bool
		if opts, ok = httphead.ParseOptions([]byte(v), opts[:0]); !ok {
			continue
		}
		for _, opt := range opts {
			if string(opt.Name) != wsflate.ExtensionName {
				continue
			}
			var p wsflate.Parameters
			if p.Parse(opt) != nil {
				continue
			}
			switch {
			case !p.ServerMaxWindowBits.Defined():
				return deflateResponse
			case p.ServerMaxWindowBits == 15:
				return deflateResponse + "; server_max_window_bits=15"
			}
		}
	}
	return ""
}

// deflateAccepted reports whether a 101's headers agreed to
// permessage-deflate: the 101 is the one record of what was negotiated.
func deflateAccepted(h Header) bool {
	return strings.HasPrefix(h.Get("Sec-WebSocket-Extensions"), deflateResponse)
}

// deflater is a pooled compressor with its output buffer. A flate.Writer
// holds about 1 MiB of tables: pooling keeps that per goroutine that is
// compressing, never per connection.
type deflater struct {
	out bytes.Buffer
	w   *wsflate.Writer
}

var deflaters = sync.Pool{New: func() any {
	d := &deflater{}
	d.w = wsflate.NewWriter(&d.out, func(w io.Writer) wsflate.Compressor {
		fw, _ := flate.NewWriter(w, deflateLevel) // the level is valid: no error
		return fw
	})
	return d
}}

// deflate compresses p as one message (the 00 00 ff ff tail stripped,
// RFC 7692 §7.2.1) and calls use with the result, which is valid only
// during the call; it reports false, without calling use, when p is too
// small to be worth it or does not shrink (RFC 7692 lets any message go
// uncompressed).
func deflate(p []byte, use func(z []byte)) bool {
	if len(p) < minDeflate {
		return false
	}
	d := deflaters.Get().(*deflater)
	defer deflaters.Put(d)
	d.out.Reset()
	d.w.Reset(&d.out)
	if _, err := d.w.Write(p); err != nil {
		return false
	}
	if err := d.w.Flush(); err != nil {
		return false
	}
	ok := d.out.Len() < len(p)
	if ok {
		use(d.out.Bytes())
	}
	if d.out.Cap() > 4<<20 {
		d.out = bytes.Buffer{} // one huge message must not pin its buffer in the pool
	}
	return ok
}

// appendCompressed appends a final frame of op carrying z, an already
// compressed payload, with RSV1 ("Per-Message Compressed") set.
func appendCompressed(dst []byte, op gws.OpCode, z []byte) []byte {
	start := len(dst)
	dst = pws.AppendFrame(dst, op, true, z)
	dst[start] |= 0x40
	return dst
}

// buildFrameFor frames p for a connection: compressed when compressed is
// set (permessage-deflate was negotiated) and it pays, plain otherwise.
// The result is a buffer of its own, sized to the frame.
func buildFrameFor(compressed bool, op gws.OpCode, p []byte) []byte {
	var frame []byte
	if compressed && deflate(p, func(z []byte) {
		frame = appendCompressed(make([]byte, 0, pws.FrameSize(len(z))), op, z)
	}) {
		return frame
	}
	return pws.AppendFrame(make([]byte, 0, pws.FrameSize(len(p))), op, true, p)
}

// deflatedFrame returns m's frame for connections that negotiated
// permessage-deflate: compressed by the first caller, once, and shared by
// all (sync.Once makes the cache race-free). It is the plain frame when
// compressing does not pay.
func (m *Message) deflatedFrame() []byte {
	m.deflateOnce.Do(func() {
		m.deflated = m.frame
		deflate(m.payload(), func(z []byte) {
			m.deflated = appendCompressed(make([]byte, 0, pws.FrameSize(len(z))), m.op, z)
		})
	})
	return m.deflated
}
