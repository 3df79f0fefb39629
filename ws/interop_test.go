package ws

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// TestGobwasClientStream reads what gobwas/ws's client-side writers produce
// (random masks, messages fragmented by a small write buffer, control frames
// in between), cut into random pieces.
func TestGobwasClientStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var stream bytes.Buffer
	var want []rec
	words := []string{"a", "é", "€", "😀", "hello ", "κόσμε "}
	for range 200 {
		switch rng.IntN(4) {
		case 0: // a ping written as a whole client message
			p := make([]byte, rng.IntN(126))
			for j := range p {
				p[j] = byte(rng.Uint32())
			}
			if err := wsutil.WriteClientMessage(&stream, ws.OpPing, p); err != nil {
				t.Fatal(err)
			}
			want = append(want, rec{Kind: Ping, Payload: string(p)})
		case 1: // binary, fragmented by a writer with a small buffer
			p := make([]byte, rng.IntN(3000))
			for j := range p {
				p[j] = byte(rng.Uint32())
			}
			w := wsutil.NewWriterSize(&stream, ws.StateClientSide, ws.OpBinary, 1+rng.IntN(700))
			if _, err := w.Write(p); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			want = append(want, rec{Kind: Binary, Payload: string(p)})
		default: // text, fragmented anywhere, including inside code points
			var p []byte
			for range rng.IntN(200) {
				p = append(p, words[rng.IntN(len(words))]...)
			}
			w := wsutil.NewWriterSize(&stream, ws.StateClientSide, ws.OpText, 1+rng.IntN(64))
			if _, err := w.Write(p); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			want = append(want, rec{Kind: Text, Payload: string(p)})
		}
	}
	if err := wsutil.WriteClientMessage(&stream, ws.OpClose, ws.NewCloseFrameBody(ws.StatusGoingAway, "done")); err != nil {
		t.Fatal(err)
	}
	want = append(want, closeEv(ws.StatusGoingAway, "done"))

	data := stream.Bytes()
	for round := range 20 {
		var cuts []int
		for pos := rng.IntN(50); pos < len(data); pos += rng.IntN(300 * (round + 1)) {
			cuts = append(cuts, pos)
		}
		if got := feed(t, 0, data, cuts); !got.equal(ok(want...)) {
			t.Fatalf("round %d: %d events, code %d; want %d events", round, len(got.events), got.code, len(want))
		}
	}
}

// TestAppendFrameThroughGobwasClient: gobwas's client-side reader accepts
// our server frames, fragmented and with control frames in between.
func TestAppendFrameThroughGobwasClient(t *testing.T) {
	var b []byte
	b = AppendFrame(b, ws.OpText, false, []byte("héllo "))
	b = AppendFrame(b, ws.OpPing, true, []byte("p"))
	b = AppendFrame(b, ws.OpContinuation, true, []byte("wörld"))
	b = AppendFrame(b, ws.OpBinary, true, bytes.Repeat([]byte{1}, 70000))
	b = AppendClose(b, ws.StatusNormalClosure, "bye")
	// ReadServerMessage returns the control frames it meets and then one
	// whole data message (or the close): call it until the close.
	rd := bytes.NewReader(b)
	var msgs []wsutil.Message
	for rd.Len() > 0 {
		var err error
		if msgs, err = wsutil.ReadServerMessage(rd, msgs); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, m := range msgs {
		got = append(got, fmt.Sprintf("%d:%s", m.OpCode, m.Payload[:min(len(m.Payload), 16)]))
	}
	want := []string{"9:p", "1:héllo wörld", "2:" + string(bytes.Repeat([]byte{1}, 16)), "8:\x03\xe8bye"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}
