package ws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// fuzzMax is small so that the fuzzer reaches the message limit easily.
const fuzzMax = 1024

// FuzzReader feeds random bytes in random pieces (the piece lengths are the
// bytes of cuts) and checks that
//   - nothing panics and the Reader keeps its contract (see feeder.add),
//   - its buffer never holds more than MaxMessageBytes,
//   - the pieces give the same events and error as one whole feed,
//   - the whole feed agrees with refDecode, a whole-frame decoder written
//     independently on top of gobwas/ws's ReadHeader and CheckHeader.
func FuzzReader(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed, []byte{1, 2, 3, 5, 8, 13})
		f.Add(seed, []byte{})
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		bounded := func(r *Reader) {
			if cap(r.buf) > fuzzMax {
				t.Fatalf("buffer capacity %d over MaxMessageBytes %d", cap(r.buf), fuzzMax)
			}
		}
		run := func(cuts []byte) result {
			in := append([]byte(nil), data...)
			fd := &feeder{r: &Reader{MaxMessageBytes: fuzzMax}, orig: data, check: bounded}
			pos := 0
			for _, c := range cuts {
				end := min(pos+int(c), len(in))
				fd.add(t, in[pos:end])
				pos = end
			}
			fd.add(t, in[pos:])
			return fd.res
		}
		whole := run(nil)
		if split := run(cuts); !split.equal(whole) {
			t.Fatalf("split feed: %v code %d; whole feed: %v code %d", split.events, split.code, whole.events, whole.code)
		}
		ref, incomplete := refDecode(data, fuzzMax)
		if !equalEvents(whole.events, ref.events) {
			t.Fatalf("events %v, reference %v", whole.events, ref.events)
		}
		switch {
		case whole.code == ref.code:
		case ref.code == 0 && incomplete && (whole.code == 1007 || whole.code == 1002):
			// Found in a frame the reference has not got whole yet: invalid
			// UTF-8 in a partial text frame, or a 64-bit length whose top
			// bit is set before the mask has arrived.
		default:
			t.Fatalf("error code %d, reference %d (incomplete %v); events %v", whole.code, ref.code, incomplete, whole.events)
		}
	})
}

func equalEvents(a, b []rec) bool {
	return result{events: a}.equal(result{events: b})
}

// refDecode decodes whole frames only, the simple way: read a header with
// gobwas/ws, check it with ws.CheckHeader, take the payload if it is all
// there. incomplete reports that data ended inside a frame.
func refDecode(data []byte, max int64) (res result, incomplete bool) {
	rd := bytes.NewReader(data)
	var (
		fragmented bool
		msgOp      ws.OpCode
		msg        []byte
	)
	for {
		if rd.Len() == 0 {
			return res, false
		}
		h, err := ws.ReadHeader(rd)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return res, true
		case err != nil:
			res.code = 1002
			return res, false
		}
		state := ws.StateServerSide
		if fragmented {
			state = state.Set(ws.StateFragmented)
		}
		if ws.CheckHeader(h, state) != nil {
			res.code = 1002
			return res, false
		}
		if h.OpCode.IsData() {
			if h.OpCode != ws.OpContinuation {
				msgOp, msg = h.OpCode, msg[:0]
			}
			if int64(len(msg))+h.Length > max {
				res.code = 1009
				return res, false
			}
		}
		if int64(rd.Len()) < h.Length {
			return res, true
		}
		p := make([]byte, h.Length)
		io.ReadFull(rd, p)
		for i := range p {
			p[i] ^= h.Mask[i%4]
		}
		switch h.OpCode {
		case ws.OpPing:
			res.events = append(res.events, rec{Kind: Ping, Payload: string(p)})
		case ws.OpPong:
			res.events = append(res.events, rec{Kind: Pong, Payload: string(p)})
		case ws.OpClose:
			if len(p) == 0 {
				res.events = append(res.events, rec{Kind: Close, Code: 1005})
				return res, false
			}
			if len(p) == 1 {
				res.code = 1002
				return res, false
			}
			code, reason := ws.ParseCloseFrameData(p)
			if !refCloseCodeOK(code) {
				res.code = 1002
				return res, false
			}
			if !utf8.ValidString(reason) {
				res.code = 1007
				return res, false
			}
			res.events = append(res.events, rec{Kind: Close, Payload: string(p), Code: code, Reason: reason})
			return res, false
		default:
			msg = append(msg, p...)
			if msgOp == ws.OpText && !validPrefix(msg) {
				res.code = 1007
				return res, false
			}
			fragmented = !h.Fin
			if !h.Fin {
				continue
			}
			if msgOp == ws.OpText && !utf8.Valid(msg) {
				res.code = 1007
				return res, false
			}
			k := Binary
			if msgOp == ws.OpText {
				k = Text
			}
			res.events = append(res.events, rec{Kind: k, Payload: string(msg)})
		}
	}
}

// refCloseCodeOK is the list of receivable close codes, spelt out.
func refCloseCodeOK(c ws.StatusCode) bool {
	switch c {
	case 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014:
		return true
	}
	return c >= 3000 && c < 5000
}

func fuzzSeeds() [][]byte {
	hello := []byte("Hello")
	long := bytes.Repeat([]byte("0123456789abcdef"), 40) // 640 bytes
	return [][]byte{
		{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
		cat(clientFrame(ws.OpText, false, []byte("Hel")), clientFrame(ws.OpContinuation, true, []byte("lo"))),
		cat(clientFrame(ws.OpText, false, []byte("He")), clientFrame(ws.OpPing, true, hello),
			clientFrame(ws.OpContinuation, true, []byte("llo")), clientFrame(ws.OpPong, true, nil)),
		cat(clientFrame(ws.OpBinary, true, long), clientFrame(ws.OpBinary, false, long), clientFrame(ws.OpContinuation, true, long)),
		clientFrame(ws.OpText, true, []byte("€😀 κόσμε")),
		cat(clientFrame(ws.OpText, false, []byte("€"[:1])), clientFrame(ws.OpContinuation, true, []byte("€"[1:]))),
		clientFrame(ws.OpText, true, []byte("\xed\xa0\x80")),
		clientFrame(ws.OpClose, true, closePayload(1000, "bye")),
		clientFrame(ws.OpClose, true, nil),
		clientFrame(ws.OpClose, true, []byte{3}),
		clientFrame(ws.OpClose, true, closePayload(1005, "")),
		cat(clientFrame(ws.OpText, true, nil), clientFrame(ws.OpClose, true, closePayload(4000, "é")), hello),
		rawFrame(ws.OpText, true, 0, false, testMask, hello),
		rawFrame(ws.OpText, true, 4, true, testMask, hello),
		clientFrame(0xb, true, nil),
		clientFrame(ws.OpPing, false, nil),
		clientFrame(ws.OpPing, true, make([]byte, 126)),
		clientFrame(ws.OpContinuation, true, hello),
		cat([]byte{0x82, 0xff}, binary.BigEndian.AppendUint64(nil, 1<<63), testMask[:]),
		cat([]byte{0x82, 0xff}, binary.BigEndian.AppendUint64(nil, fuzzMax+1), testMask[:]),
		cat([]byte{0x81, 0xfe, 0x00, 0x05}, testMask[:], mask(hello)),
		clientFrame(ws.OpBinary, true, bytes.Repeat([]byte{1}, fuzzMax)),
	}
}
