package ws

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

func ev(k Kind, p string) rec { return rec{Kind: k, Payload: p} }

func closeEv(code ws.StatusCode, reason string) rec {
	p := ""
	if code != ws.StatusNoStatusRcvd {
		p = string(closePayload(uint16(code), reason))
	}
	return rec{Kind: Close, Payload: p, Code: code, Reason: reason}
}

func ok(events ...rec) result { return result{events: events} }

func fails(code ws.StatusCode, events ...rec) result { return result{events: events, code: code} }

// The examples of RFC 6455 §5.7, byte for byte where the RFC gives the bytes
// of a masked frame, and built (masked, as a client must) where it shows an
// unmasked one.
func TestRFC6455Examples(t *testing.T) {
	big256 := bytes.Repeat([]byte{0xa5}, 256)
	big64k := make([]byte, 65536)
	for i := range big64k {
		big64k[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name  string
		input []byte
		want  result
	}{
		{"unmasked Hello is refused", []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f},
			fails(ws.StatusProtocolError)},
		{"masked Hello", []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
			ok(ev(Text, "Hello"))},
		{"fragmented Hel+lo", cat(clientFrame(ws.OpText, false, []byte("Hel")), clientFrame(ws.OpContinuation, true, []byte("lo"))),
			ok(ev(Text, "Hello"))},
		{"ping Hello", clientFrame(ws.OpPing, true, []byte("Hello")),
			ok(ev(Ping, "Hello"))},
		{"masked pong Hello", []byte{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
			ok(ev(Pong, "Hello"))},
		{"256 bytes binary, 16-bit length", clientFrame(ws.OpBinary, true, big256),
			ok(ev(Binary, string(big256)))},
		{"64 KiB binary, 64-bit length", clientFrame(ws.OpBinary, true, big64k),
			ok(ev(Binary, string(big64k)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			feedSplits(t, 0, tc.input, tc.want)
		})
	}
	// The length encodings are the RFC's.
	if h := clientFrame(ws.OpBinary, true, big256)[:4]; !bytes.Equal(h, []byte{0x82, 0xfe, 0x01, 0x00}) {
		t.Errorf("256-byte header %x", h)
	}
	if h := clientFrame(ws.OpBinary, true, big64k)[:10]; !bytes.Equal(h, []byte{0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0}) {
		t.Errorf("64 KiB header %x", h)
	}
}

func TestProtocolErrors(t *testing.T) {
	hello := []byte("Hello")
	m := testMask
	for _, tc := range []struct {
		name  string
		input []byte
		want  result
	}{
		{"unmasked text", rawFrame(ws.OpText, true, 0, false, m, hello), fails(1002)},
		{"unmasked ping", rawFrame(ws.OpPing, true, 0, false, m, hello), fails(1002)},
		{"unmasked after a good frame", cat(clientFrame(ws.OpText, true, hello), rawFrame(ws.OpBinary, true, 0, false, m, hello)),
			fails(1002, ev(Text, "Hello"))},
		{"RSV1", rawFrame(ws.OpText, true, 4, true, m, hello), fails(1002)},
		{"RSV2", rawFrame(ws.OpText, true, 2, true, m, hello), fails(1002)},
		{"RSV3", rawFrame(ws.OpText, true, 1, true, m, hello), fails(1002)},
		{"RSV on a ping", rawFrame(ws.OpPing, true, 4, true, m, nil), fails(1002)},
		{"RSV on a continuation", cat(clientFrame(ws.OpText, false, hello), rawFrame(ws.OpContinuation, true, 2, true, m, nil)), fails(1002)},
		{"opcode 3", clientFrame(3, true, hello), fails(1002)},
		{"opcode 7", clientFrame(7, true, hello), fails(1002)},
		{"opcode 0xB", clientFrame(0xb, true, nil), fails(1002)},
		{"opcode 0xF", clientFrame(0xf, true, nil), fails(1002)},
		{"reserved opcode inside a message", cat(clientFrame(ws.OpText, false, hello), clientFrame(0x5, true, nil)), fails(1002)},
		{"ping 126 bytes", clientFrame(ws.OpPing, true, make([]byte, 126)), fails(1002)},
		{"close 126 bytes", clientFrame(ws.OpClose, true, closePayload(1000, strings.Repeat("x", 124))), fails(1002)},
		{"ping 125 bytes is fine", clientFrame(ws.OpPing, true, make([]byte, 125)), ok(ev(Ping, string(make([]byte, 125))))},
		{"ping with FIN=0", clientFrame(ws.OpPing, false, hello), fails(1002)},
		{"pong with FIN=0", clientFrame(ws.OpPong, false, nil), fails(1002)},
		{"close with FIN=0", clientFrame(ws.OpClose, false, nil), fails(1002)},
		{"continuation first", clientFrame(ws.OpContinuation, true, hello), fails(1002)},
		{"continuation after a whole message", cat(clientFrame(ws.OpText, true, hello), clientFrame(ws.OpContinuation, true, hello)),
			fails(1002, ev(Text, "Hello"))},
		{"text inside a text message", cat(clientFrame(ws.OpText, false, hello), clientFrame(ws.OpText, true, hello)), fails(1002)},
		{"binary inside a text message", cat(clientFrame(ws.OpText, false, hello), clientFrame(ws.OpBinary, true, hello)), fails(1002)},
		{"text inside a binary message", cat(clientFrame(ws.OpBinary, false, hello), clientFrame(ws.OpText, false, hello)), fails(1002)},
		{"64-bit length with the top bit set", cat([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0}, m[:]), fails(1002)},
		{"64-bit length all ones", cat([]byte{0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, m[:]), fails(1002)},
		{"non-minimal 16-bit length is accepted", cat([]byte{0x81, 0xfe, 0x00, 0x05}, m[:], mask(hello)), ok(ev(Text, "Hello"))},
		{"non-minimal 64-bit length is accepted", cat([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 5}, m[:], mask(hello)), ok(ev(Text, "Hello"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			feedSplits(t, 0, tc.input, tc.want)
		})
	}
}

func mask(p []byte) []byte {
	b := append([]byte(nil), p...)
	ws.Cipher(b, testMask, 0)
	return b
}

func TestControlBetweenFragments(t *testing.T) {
	input := cat(
		clientFrame(ws.OpText, false, []byte("He")),
		clientFrame(ws.OpPing, true, []byte("p1")),
		clientFrame(ws.OpContinuation, false, []byte("l")),
		clientFrame(ws.OpPong, true, nil),
		clientFrame(ws.OpContinuation, false, nil), // empty fragments are fine
		clientFrame(ws.OpPing, true, nil),
		clientFrame(ws.OpContinuation, true, []byte("lo")),
		clientFrame(ws.OpBinary, false, []byte{1, 2}),
		clientFrame(ws.OpClose, true, closePayload(1001, "bye")),
	)
	feedSplits(t, 0, input, ok(ev(Ping, "p1"), ev(Pong, ""), ev(Ping, ""), ev(Text, "Hello"), closeEv(1001, "bye")))
}

func TestMessagesBackToBack(t *testing.T) {
	input := cat(
		clientFrame(ws.OpText, true, nil),
		clientFrame(ws.OpBinary, true, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8}),
		clientFrame(ws.OpText, false, nil),
		clientFrame(ws.OpContinuation, true, nil),
		clientFrame(ws.OpText, true, []byte("héllo wörld, ünïcode ✓ 😀")),
		clientFrame(ws.OpBinary, false, bytes.Repeat([]byte{9}, 300)),
		clientFrame(ws.OpContinuation, true, bytes.Repeat([]byte{8}, 70000)),
	)
	feedSplits(t, 0, input, ok(
		ev(Text, ""),
		ev(Binary, "\x00\x01\x02\x03\x04\x05\x06\x07\x08"),
		ev(Text, ""),
		ev(Text, "héllo wörld, ünïcode ✓ 😀"),
		ev(Binary, strings.Repeat("\x09", 300)+strings.Repeat("\x08", 70000)),
	))
}

func TestMaxMessageBytes(t *testing.T) {
	const max = 1000
	exact := bytes.Repeat([]byte{'a'}, max)
	// Exactly the limit, in one frame and in fragments.
	feedSplits(t, max, clientFrame(ws.OpText, true, exact), ok(ev(Text, string(exact))))
	feedSplits(t, max, cat(
		clientFrame(ws.OpBinary, false, exact[:400]),
		clientFrame(ws.OpPing, true, []byte("x")),
		clientFrame(ws.OpContinuation, false, exact[400:999]),
		clientFrame(ws.OpContinuation, true, exact[999:]),
	), ok(ev(Ping, "x"), ev(Binary, string(exact))))
	// One byte over: refused at the header that announces it, even though
	// no payload follows.
	feedSplits(t, max, clientFrame(ws.OpText, true, exact[:1])[:0], ok())
	feedSplits(t, max, clientFrame(ws.OpText, true, append(exact, 'a'))[:8], fails(1009))
	feedSplits(t, max, cat(
		clientFrame(ws.OpBinary, false, exact[:600]),
		clientFrame(ws.OpContinuation, true, exact[:401])[:8],
	), fails(1009))
	// A header claiming 2^63-1 bytes cannot overflow the check.
	feedSplits(t, max, cat(
		clientFrame(ws.OpBinary, false, exact[:10]),
		[]byte{0x80, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, testMask[:],
	), fails(1009))
	// The default is 16 MiB.
	r := &Reader{}
	hdr := cat([]byte{0x82, 0xff}, []byte{0, 0, 0, 0, 1, 0, 0, 1}, testMask[:])
	if _, _, err := r.Read(hdr); !isCode(err, 1009) {
		t.Fatalf("16 MiB + 1: %v", err)
	}
	r = &Reader{}
	hdr = cat([]byte{0x82, 0xff}, []byte{0, 0, 0, 0, 1, 0, 0, 0}, testMask[:])
	if n, _, err := r.Read(hdr); err != nil || n != len(hdr) {
		t.Fatalf("16 MiB: %d, %v", n, err)
	}
}

func isCode(err error, code ws.StatusCode) bool {
	var pe ProtocolError
	return errors.As(err, &pe) && pe.Code == code
}

// TestStreamingBuffer checks that a data frame's payload is taken as it
// arrives, and that the buffer follows the bytes received, not the length
// the header announces.
func TestStreamingBuffer(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 100_000) // 1e6 bytes
	frame := clientFrame(ws.OpBinary, true, payload)
	r := &Reader{}
	// The header and 100 bytes: all consumed, nothing returned.
	in := append([]byte(nil), frame[:10+4+100]...)
	n, e, err := r.Read(in)
	if err != nil || e.Kind != None || n != len(in) {
		t.Fatalf("first piece: %d, %v, %v", n, e.Kind, err)
	}
	if cap(r.buf) > minBuffer {
		t.Fatalf("buffer of %d bytes for 100 received", cap(r.buf))
	}
	rest := append([]byte(nil), frame[len(in):]...)
	for len(rest) > 0 {
		k := min(len(rest), 65536)
		n, e, err = r.Read(rest[:k])
		if err != nil || n != k {
			t.Fatalf("Read: %d of %d, %v", n, k, err)
		}
		rest = rest[k:]
	}
	if e.Kind != Binary || !bytes.Equal(e.Payload, payload) {
		t.Fatalf("got %v of %d bytes", e.Kind, len(e.Payload))
	}
	// The big buffer is let go at the next call, not kept for the connection.
	if _, _, err := r.Read(nil); err != nil || r.buf != nil {
		t.Fatalf("buffer kept: cap %d, %v", cap(r.buf), err)
	}
}

// TestZeroCopy checks that a message wholly present is returned in place.
func TestZeroCopy(t *testing.T) {
	in := clientFrame(ws.OpText, true, []byte("Hello"))
	r := &Reader{}
	_, e, err := r.Read(in)
	if err != nil || e.Kind != Text {
		t.Fatal(e.Kind, err)
	}
	if &e.Payload[0] != &in[len(in)-5] {
		t.Fatal("payload copied")
	}
	// Also when the header came in an earlier call.
	in = clientFrame(ws.OpBinary, true, []byte("Hello"))
	r.Reset()
	if n, _, err := r.Read(in[:6]); n != 6 || err != nil {
		t.Fatal(n, err)
	}
	_, e, err = r.Read(in[6:])
	if err != nil || e.Kind != Binary || &e.Payload[0] != &in[6] {
		t.Fatal("payload copied", err)
	}
}

// TestMaskOffset cuts one frame's payload at every offset, so that each
// mask phase is used at the start of a chunk.
func TestMaskOffset(t *testing.T) {
	payload := []byte("The quick brown fox jumps over the lazy dog, 0123456789")
	frame := clientFrame(ws.OpBinary, true, payload)
	for cut := 6; cut < len(frame); cut++ {
		for cut2 := cut; cut2 < len(frame); cut2 += 3 {
			got := feed(t, 0, frame, []int{cut, cut2})
			if !got.equal(ok(ev(Binary, string(payload)))) {
				t.Fatalf("cuts %d,%d: %v", cut, cut2, got.events)
			}
		}
	}
}

func TestUTF8(t *testing.T) {
	euro := "€" // e2 82 ac
	face := "😀" // f0 9f 98 80
	for _, tc := range []struct {
		name  string
		input []byte
		want  result
	}{
		{"code point split between fragments",
			cat(clientFrame(ws.OpText, false, []byte("a"+euro[:1])), clientFrame(ws.OpContinuation, false, []byte(euro[1:2])),
				clientFrame(ws.OpContinuation, true, []byte(euro[2:]+face))),
			ok(ev(Text, "a"+euro+face))},
		{"4-byte code point split 1+3",
			cat(clientFrame(ws.OpText, false, []byte(face[:1])), clientFrame(ws.OpContinuation, true, []byte(face[1:]))),
			ok(ev(Text, face))},
		{"invalid byte", clientFrame(ws.OpText, true, []byte("ab\xffcd")), fails(1007)},
		{"invalid in the first fragment, caught before the message ends",
			cat(clientFrame(ws.OpText, false, []byte("ab\xc0\xafcd")), clientFrame(ws.OpContinuation, false, nil)),
			fails(1007)},
		{"invalid in a partial frame is caught at once",
			clientFrame(ws.OpText, true, []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"))[:6+13],
			fails(1007)},
		{"surrogate", clientFrame(ws.OpText, true, []byte("\xed\xa0\x80")), fails(1007)},
		{"overlong", clientFrame(ws.OpText, true, []byte("\xe0\x80\xaf")), fails(1007)},
		{"above U+10FFFF", clientFrame(ws.OpText, true, []byte("\xf4\x90\x80\x80")), fails(1007)},
		{"incomplete at the end of a single frame", clientFrame(ws.OpText, true, []byte("ok"+euro[:2])), fails(1007)},
		{"incomplete at the end of fragments",
			cat(clientFrame(ws.OpText, false, []byte(face[:2])), clientFrame(ws.OpContinuation, true, []byte(face[2:3]))),
			fails(1007)},
		{"binary is not checked", clientFrame(ws.OpBinary, true, []byte("\xff\xfe")), ok(ev(Binary, "\xff\xfe"))},
		{"ping is not checked", clientFrame(ws.OpPing, true, []byte("\xff")), ok(ev(Ping, "\xff"))},
		{"a ping between fragments does not reset the check",
			cat(clientFrame(ws.OpText, false, []byte(euro[:1])), clientFrame(ws.OpPing, true, []byte("\x80")),
				clientFrame(ws.OpContinuation, true, []byte(euro[1:]))),
			ok(ev(Ping, "\x80"), ev(Text, euro))},
		{"state does not leak into the next message",
			cat(clientFrame(ws.OpText, true, []byte("a")), clientFrame(ws.OpText, true, []byte(euro[1:]))),
			fails(1007, ev(Text, "a"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			feedSplits(t, 0, tc.input, tc.want)
		})
	}
}

func TestClose(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		want    result
	}{
		{"empty", nil, ok(closeEv(ws.StatusNoStatusRcvd, ""))},
		{"1 byte", []byte{0x03}, fails(1002)},
		{"1000", closePayload(1000, ""), ok(closeEv(1000, ""))},
		{"1000 with reason", closePayload(1000, "done ✓"), ok(closeEv(1000, "done ✓"))},
		{"reason of 123 bytes", closePayload(1000, strings.Repeat("r", 123)), ok(closeEv(1000, strings.Repeat("r", 123)))},
		{"invalid UTF-8 reason", closePayload(1000, "bad \xff"), fails(1007)},
		{"incomplete UTF-8 reason", closePayload(1000, "€"[:2]), fails(1007)},
		{"invalid code with invalid reason is 1002", closePayload(999, "\xff"), fails(1002)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			feedSplits(t, 0, clientFrame(ws.OpClose, true, tc.payload), tc.want)
		})
	}

	valid := map[uint16]bool{}
	for c := 1000; c <= 1003; c++ {
		valid[uint16(c)] = true
	}
	for c := 1007; c <= 1014; c++ {
		valid[uint16(c)] = true
	}
	for c := 3000; c <= 4999; c++ {
		valid[uint16(c)] = true
	}
	for c := 0; c <= 0xffff; c++ {
		r := &Reader{}
		_, e, err := r.Read(clientFrame(ws.OpClose, true, closePayload(uint16(c), "r")))
		if valid[uint16(c)] {
			if err != nil || e.Kind != Close || e.Code != ws.StatusCode(c) || e.Reason != "r" {
				t.Fatalf("close %d: %v %v", c, e, err)
			}
		} else if !isCode(err, 1002) {
			t.Fatalf("close %d: %v, want 1002", c, err)
		}
	}
}

// TestAfterClose: once the peer has closed, the rest is swallowed.
func TestAfterClose(t *testing.T) {
	input := cat(
		clientFrame(ws.OpClose, true, closePayload(1000, "")),
		clientFrame(ws.OpText, true, []byte("late")),
		[]byte{0x00, 0x01, 0xff}, // garbage would be an error, but is not looked at
	)
	feedSplits(t, 0, input, ok(closeEv(1000, "")))
	r := &Reader{}
	in := append([]byte(nil), input...)
	n, e, err := r.Read(in)
	if e.Kind != Close || err != nil {
		t.Fatal(e.Kind, err)
	}
	n2, e2, err := r.Read(in[n:])
	if n2 != len(in)-n || e2.Kind != None || err != nil {
		t.Fatalf("after close: %d, %v, %v", n2, e2.Kind, err)
	}
}

// TestCloseInsideMessage: a close between fragments ends the conversation;
// the unfinished message is not delivered.
func TestCloseInsideMessage(t *testing.T) {
	input := cat(
		clientFrame(ws.OpText, false, []byte("half")),
		clientFrame(ws.OpClose, true, nil),
		clientFrame(ws.OpContinuation, true, []byte("rest")),
	)
	feedSplits(t, 0, input, ok(closeEv(ws.StatusNoStatusRcvd, "")))
}

func TestReset(t *testing.T) {
	r := &Reader{MaxMessageBytes: 100}
	r.Read(clientFrame(ws.OpText, false, []byte("abc")))
	if _, _, err := r.Read([]byte{0x81, 0x00}); err == nil {
		t.Fatal("want an error")
	}
	r.Reset()
	if r.MaxMessageBytes != 100 {
		t.Fatal("Reset lost MaxMessageBytes")
	}
	_, e, err := r.Read(clientFrame(ws.OpText, true, []byte("x")))
	if err != nil || e.Kind != Text || string(e.Payload) != "x" {
		t.Fatal(e, err)
	}
	// A big buffer is not kept by Reset.
	r.buf = make([]byte, 0, keepBuffer+1)
	r.Reset()
	if r.buf != nil {
		t.Fatal("Reset kept a big buffer")
	}
	r.buf = make([]byte, 10, keepBuffer)
	r.Reset()
	if cap(r.buf) != keepBuffer || len(r.buf) != 0 {
		t.Fatal("Reset dropped a small buffer")
	}
}

func TestProtocolErrorValue(t *testing.T) {
	r := &Reader{}
	_, _, err := r.Read(rawFrame(ws.OpText, true, 0, false, testMask, nil))
	var pe ProtocolError
	if !errors.As(err, &pe) || pe.Code != ws.StatusProtocolError || pe.Reason == "" {
		t.Fatalf("%#v", err)
	}
	if got := err.Error(); got != "websocket: protocol error 1002: client frame not masked" {
		t.Fatalf("Error() = %q", got)
	}
	if !errors.Is(err, errUnmasked) {
		t.Fatal("errors.Is")
	}
	// Every reason fits in a close frame.
	for _, e := range []error{errUnmasked, errRsv, errOpCode, errControlFragmented, errControlTooLong, errLengthMSB,
		errContinuation, errInterleaved, errCloseShort, errCloseCode, errCloseReason, errInvalidUTF8, errTooBig} {
		if len(e.(ProtocolError).Reason) > maxCloseReason {
			t.Errorf("%v: reason too long", e)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{None: "None", Text: "Text", Binary: "Binary", Ping: "Ping", Pong: "Pong", Close: "Close", 9: "Kind(9)"} {
		if k.String() != want {
			t.Errorf("%d: %q", k, k.String())
		}
	}
}

// TestReadAllocs: steady-state reading of small single-frame messages
// allocates nothing.
func TestReadAllocs(t *testing.T) {
	frame := clientFrame(ws.OpText, true, bytes.Repeat([]byte("a"), 64))
	ping := clientFrame(ws.OpPing, true, []byte("p"))
	bin := clientFrame(ws.OpBinary, true, make([]byte, 200))
	in := make([]byte, len(frame))
	r := &Reader{}
	allocs := testing.AllocsPerRun(1000, func() {
		for _, f := range [][]byte{frame, ping, bin} {
			in = append(in[:0], f...)
			n, e, err := r.Read(in)
			if err != nil || e.Kind == None || n != len(in) {
				t.Fatal(n, e.Kind, err)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run, want 0", allocs)
	}
	// Fragmented small messages reuse the kept buffer.
	frags := cat(clientFrame(ws.OpText, false, []byte("ab")), clientFrame(ws.OpContinuation, true, []byte("cd")))
	allocs = testing.AllocsPerRun(1000, func() {
		in = append(in[:0], frags...)
		_, e, err := r.Read(in)
		if err != nil || string(e.Payload) != "abcd" {
			t.Fatal(e, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("fragments: %v allocations per run, want 0", allocs)
	}
}

// TestErrorsNeedOnlyTheHeader: header-level errors are reported from the
// header alone, before any payload arrives.
func TestErrorsNeedOnlyTheHeader(t *testing.T) {
	big := make([]byte, 5000)
	open := clientFrame(ws.OpText, false, []byte("a"))
	for _, tc := range []struct {
		name   string
		prefix []byte
		frame  []byte
		hdr    int
		code   ws.StatusCode
	}{
		{"unmasked", nil, rawFrame(ws.OpBinary, true, 0, false, testMask, big), 4, 1002},
		{"rsv", nil, rawFrame(ws.OpBinary, true, 4, true, testMask, big), 8, 1002},
		{"opcode", nil, clientFrame(0x3, true, big), 8, 1002},
		{"control too long", nil, clientFrame(ws.OpPing, true, big), 8, 1002},
		{"control not final", nil, clientFrame(ws.OpPing, false, nil), 6, 1002},
		{"continuation", nil, clientFrame(ws.OpContinuation, true, big), 8, 1002},
		{"interleaved", open, clientFrame(ws.OpBinary, true, big), 8, 1002},
		{"too big", nil, clientFrame(ws.OpBinary, true, big), 8, 1009},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reader{MaxMessageBytes: 4096}
			in := cat(tc.prefix, tc.frame[:tc.hdr])
			if _, _, err := r.Read(in[:len(in)-1]); err != nil {
				t.Fatalf("error from a partial header: %v", err)
			}
			r = &Reader{MaxMessageBytes: 4096}
			_, _, err := r.Read(in)
			if !isCode(err, tc.code) {
				t.Fatalf("got %v, want %d", err, tc.code)
			}
		})
	}
}

// TestMaxFragments: a message may come in MaxFragments frames, and one
// frame more fails it with 1009, even when every frame is empty (a
// message that never grows would otherwise never end).
func TestMaxFragments(t *testing.T) {
	frames := func(n int) []byte {
		in := clientFrame(ws.OpBinary, false, nil)
		for range n - 2 {
			in = append(in, clientFrame(ws.OpContinuation, false, nil)...)
		}
		return append(in, clientFrame(ws.OpContinuation, true, []byte("x"))...)
	}
	r := &Reader{}
	in := frames(MaxFragments)
	n, ev, err := r.Read(in)
	if err != nil || ev.Kind != Binary || string(ev.Payload) != "x" || n != len(in) {
		t.Fatalf("%d fragments: n %d/%d, %v %q, %v", MaxFragments, n, len(in), ev.Kind, ev.Payload, err)
	}
	r = &Reader{}
	_, _, err = r.Read(frames(MaxFragments + 1))
	if !isCode(err, 1009) {
		t.Fatalf("%d fragments: %v, want 1009", MaxFragments+1, err)
	}
	// Endless empty continuations fail once the count is passed, however
	// the bytes are cut.
	r = &Reader{}
	endless := clientFrame(ws.OpText, false, nil)
	for range MaxFragments {
		endless = append(endless, clientFrame(ws.OpContinuation, false, nil)...)
	}
	var failed bool
	var pending []byte
	for off := 0; off < len(endless) && !failed; off += 7 {
		pending = append(pending, endless[off:min(off+7, len(endless))]...)
		n, _, err := r.Read(pending)
		pending = pending[n:]
		failed = isCode(err, 1009)
	}
	if !failed {
		t.Fatal("endless empty continuation frames were never refused")
	}
}
