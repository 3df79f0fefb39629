package ws

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

// BenchmarkReadSmall reads a 64-byte masked text frame, as the loop does for
// a typical small message that arrived whole.
func BenchmarkReadSmall(b *testing.B) {
	frame := clientFrame(ws.OpText, true, bytes.Repeat([]byte("a"), 64))
	in := make([]byte, len(frame))
	r := &Reader{}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		copy(in, frame) // Read unmasks in place
		if _, e, err := r.Read(in); err != nil || e.Kind != Text {
			b.Fatal(e.Kind, err)
		}
	}
}

// BenchmarkReadFragmented reads a 64 KiB binary message sent as 16 frames
// and delivered in 4 KiB reads, the path that copies into the buffer.
func BenchmarkReadFragmented(b *testing.B) {
	chunk := bytes.Repeat([]byte("b"), 4096)
	var stream []byte
	for i := range 16 {
		op := ws.OpContinuation
		if i == 0 {
			op = ws.OpBinary
		}
		stream = append(stream, clientFrame(op, i == 15, chunk)...)
	}
	in := make([]byte, len(stream))
	r := &Reader{}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		copy(in, stream)
		rest := in
		for len(rest) > 0 {
			n, _, err := r.Read(rest[:min(len(rest), 4096)])
			if err != nil {
				b.Fatal(err)
			}
			rest = rest[n:]
		}
	}
}

// BenchmarkAppendFrame frames a 64-byte text message into a reused buffer.
func BenchmarkAppendFrame(b *testing.B) {
	payload := bytes.Repeat([]byte("a"), 64)
	dst := make([]byte, 0, FrameSize(len(payload)))
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendFrame(dst[:0], ws.OpText, true, payload)
	}
}
