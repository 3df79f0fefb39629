package ws

import (
	"bytes"
	"compress/flate"
	"testing"

	"github.com/gobwas/ws"
)

// deflated compresses p as a permessage-deflate payload (sync flush, the
// 00 00 ff ff tail removed).
func deflated(p []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(p)
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

var rsv1 = ws.Rsv(true, false, false)

// readAll feeds in whole to a fresh Reader and collects its events.
func readAll(t *testing.T, r *Reader, in []byte) result {
	t.Helper()
	fd := &feeder{r: r, orig: in}
	fd.add(t, append([]byte(nil), in...))
	return fd.res
}

func TestInflate(t *testing.T) {
	text := bytes.Repeat([]byte("compressible text "), 100)
	z := deflated(text)
	for _, tc := range []struct {
		name   string
		on     bool
		in     []byte
		events []rec
		code   ws.StatusCode
	}{
		{"one frame", true, rawFrame(ws.OpText, true, rsv1, true, testMask, z), []rec{{Kind: Text, Payload: string(text)}}, 0},
		{"fragments", true, cat(rawFrame(ws.OpBinary, false, rsv1, true, testMask, z[:7]), clientFrame(ws.OpPing, true, nil), rawFrame(ws.OpContinuation, true, 0, true, testMask, z[7:])),
			[]rec{{Kind: Ping}, {Kind: Binary, Payload: string(text)}}, 0},
		{"plain on a compressed connection", true, clientFrame(ws.OpText, true, []byte("hi")), []rec{{Kind: Text, Payload: "hi"}}, 0},
		{"RSV1 off", false, rawFrame(ws.OpText, true, rsv1, true, testMask, z), nil, 1002},
		{"RSV1 on a continuation", true, cat(clientFrame(ws.OpText, false, []byte("a")), rawFrame(ws.OpContinuation, true, rsv1, true, testMask, []byte("b"))), nil, 1002},
		{"RSV1 on a ping", true, rawFrame(ws.OpPing, true, rsv1, true, testMask, nil), nil, 1002},
		{"RSV2", true, rawFrame(ws.OpText, true, ws.Rsv(false, true, false), true, testMask, z), nil, 1002},
		{"corrupt", true, rawFrame(ws.OpBinary, true, rsv1, true, testMask, []byte{0xff, 0xff, 0xff}), nil, 1007},
		{"bad UTF-8 inside", true, rawFrame(ws.OpText, true, rsv1, true, testMask, deflated([]byte{0xc3})), nil, 1007},
		{"at the limit", true, rawFrame(ws.OpBinary, true, rsv1, true, testMask, deflated(make([]byte, 4096))), []rec{{Kind: Binary, Payload: string(make([]byte, 4096))}}, 0},
		{"one past the limit", true, rawFrame(ws.OpBinary, true, rsv1, true, testMask, deflated(make([]byte, 4097))), nil, 1009},
		{"bomb", true, rawFrame(ws.OpBinary, true, rsv1, true, testMask, deflated(make([]byte, 8<<20))), nil, 1009},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reader{MaxMessageBytes: 4096, Compression: tc.on}
			got := readAll(t, r, tc.in)
			if want := (result{events: tc.events, code: tc.code}); !got.equal(want) {
				t.Fatalf("got %v code %d, want %v code %d", got.events, got.code, tc.events, tc.code)
			}
			if cap(r.out) > 4097 {
				t.Errorf("inflate buffer grew to %d, past MaxMessageBytes+1", cap(r.out))
			}
		})
	}
}

// FuzzReaderDeflate is FuzzReader's split-versus-whole check with
// Compression on: nothing panics, the inflate buffer never passes
// MaxMessageBytes+1, and how the bytes are cut changes nothing.
func FuzzReaderDeflate(f *testing.F) {
	z := deflated(bytes.Repeat([]byte("abc"), 200))
	f.Add(rawFrame(ws.OpText, true, rsv1, true, testMask, z), []byte{1, 2, 3})
	f.Add(cat(rawFrame(ws.OpBinary, false, rsv1, true, testMask, z[:5]), rawFrame(ws.OpContinuation, true, 0, true, testMask, z[5:])), []byte{7})
	f.Add(rawFrame(ws.OpBinary, true, rsv1, true, testMask, deflated(make([]byte, 1<<16))), []byte{})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		bounded := func(r *Reader) {
			if cap(r.buf) > fuzzMax || cap(r.out) > fuzzMax+1 {
				t.Fatalf("buffers %d and %d, over MaxMessageBytes %d", cap(r.buf), cap(r.out), fuzzMax)
			}
		}
		run := func(cuts []byte) result {
			in := append([]byte(nil), data...)
			fd := &feeder{r: &Reader{MaxMessageBytes: fuzzMax, Compression: true}, orig: data, check: bounded}
			pos := 0
			for _, c := range cuts {
				end := min(pos+int(c), len(in))
				fd.add(t, in[pos:end])
				pos = end
			}
			fd.add(t, in[pos:])
			return fd.res
		}
		if whole, split := run(nil), run(cuts); !split.equal(whole) {
			t.Fatalf("split feed: %v code %d; whole feed: %v code %d", split.events, split.code, whole.events, whole.code)
		}
	})
}
