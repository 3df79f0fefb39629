package websocket_test

import (
	"bytes"
	"fmt"
	"testing"

	gws "github.com/gobwas/ws"
)

// TestFragmentsWithPings sends one message as 100 fragments with a ping
// between each two, waiting for every pong before the next fragment: the
// server answers pings in the middle of a message, with the same payload,
// and delivers the message whole.
func TestFragmentsWithPings(t *testing.T) {
	t.Run("text", func(t *testing.T) { testFragmentsWithPings(t, gws.OpText) })
	t.Run("binary", func(t *testing.T) { testFragmentsWithPings(t, gws.OpBinary) })
}

func testFragmentsWithPings(t *testing.T, op gws.OpCode) {
	s := startWS(t, nil)
	rc := s.dialRaw(t, nil)

	// Fragment sizes vary (0 included); text is multibyte so that code
	// points are split across fragment boundaries.
	var msg []byte
	if op == gws.OpText {
		msg = bytes.Repeat([]byte("aé€😀"), 600) // 6000 bytes
	} else {
		msg = randomBytes(6000)
	}
	const fragments = 100
	cuts := make([]int, 0, fragments+1)
	cuts = append(cuts, 0)
	for i := 1; i < fragments; i++ {
		c := i * len(msg) / fragments
		if i == 7 {
			c = cuts[i-1] // an empty fragment
		}
		if i%3 == 0 {
			c++ // off the code point grid
		}
		cuts = append(cuts, max(c, cuts[i-1]))
	}
	cuts = append(cuts, len(msg))

	for i := range fragments {
		fop := op
		if i > 0 {
			fop = gws.OpContinuation
		}
		last := i == fragments-1
		rc.write(masked(fop, last, msg[cuts[i]:cuts[i+1]]))
		if last {
			break
		}
		ping := []byte(fmt.Sprintf("ping %d", i))
		if i == 50 {
			ping = nil // an empty ping too
		}
		if i == 60 {
			ping = randomBytes(125) // the largest control payload
		}
		rc.write(masked(gws.OpPing, true, ping))
		f := rc.mustRead()
		if f.Header.OpCode != gws.OpPong || !f.Header.Fin {
			t.Fatalf("after ping %d: frame opcode %v fin %v, want a pong", i, f.Header.OpCode, f.Header.Fin)
		}
		if !bytes.Equal(f.Payload, ping) {
			t.Fatalf("pong %d payload %s, want %s", i, describe(f.Payload), describe(ping))
		}
	}
	f := rc.mustRead()
	if f.Header.OpCode != op || !f.Header.Fin {
		t.Fatalf("echo frame opcode %v fin %v, want %v fin", f.Header.OpCode, f.Header.Fin, op)
	}
	if !bytes.Equal(f.Payload, msg) {
		t.Fatalf("echo of the fragmented message: %s, want %d bytes", describe(f.Payload), len(msg))
	}

	// The connection is still good: a pong from the client is ignored and
	// a plain message echoes.
	rc.write(masked(gws.OpPong, true, []byte("unsolicited")))
	rc.write(masked(gws.OpText, true, []byte("after")))
	if f := rc.mustRead(); f.Header.OpCode != gws.OpText || string(f.Payload) != "after" {
		t.Fatalf("after the fragmented message: %v %s", f.Header.OpCode, describe(f.Payload))
	}
}

// TestFragmentsOneWrite sends the 100 fragments and pings in one write:
// the pongs come back in order, then the message.
func TestFragmentsOneWrite(t *testing.T) {
	s := startWS(t, nil)
	rc := s.dialRaw(t, nil)
	var buf []byte
	var want bytes.Buffer
	for i := range 100 {
		op := gws.OpText
		if i > 0 {
			op = gws.OpContinuation
		}
		p := []byte(fmt.Sprintf("[%d]", i))
		want.Write(p)
		buf = append(buf, masked(op, i == 99, p)...)
		if i < 99 {
			buf = append(buf, masked(gws.OpPing, true, []byte(fmt.Sprint(i)))...)
		}
	}
	rc.write(buf)
	for i := range 99 {
		f := rc.mustRead()
		if f.Header.OpCode != gws.OpPong || string(f.Payload) != fmt.Sprint(i) {
			t.Fatalf("frame %d: %v %s, want pong %q", i, f.Header.OpCode, describe(f.Payload), fmt.Sprint(i))
		}
	}
	f := rc.mustRead()
	if f.Header.OpCode != gws.OpText || !bytes.Equal(f.Payload, want.Bytes()) {
		t.Fatalf("message: %v %s, want %s", f.Header.OpCode, describe(f.Payload), describe(want.Bytes()))
	}
}
