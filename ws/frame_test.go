package ws

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// TestAppendFrameRoundTrip reads AppendFrame's output back with gobwas/ws's
// own frame reader, at every length-encoding boundary.
func TestAppendFrameRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 125, 126, 127, 65535, 65536, 1 << 20} {
		payload := make([]byte, size)
		for i := range payload {
			payload[i] = byte(i*31 + 7)
		}
		for _, tc := range []struct {
			op  ws.OpCode
			fin bool
		}{{ws.OpBinary, true}, {ws.OpText, false}, {ws.OpContinuation, true}} {
			prefix := []byte("existing")
			out := AppendFrame(append([]byte(nil), prefix...), tc.op, tc.fin, payload)
			if !bytes.HasPrefix(out, prefix) {
				t.Fatal("dst prefix lost")
			}
			frame := out[len(prefix):]
			if len(frame) != FrameSize(size) {
				t.Fatalf("size %d: frame is %d bytes, FrameSize says %d", size, len(frame), FrameSize(size))
			}
			rd := bytes.NewReader(frame)
			//lint:ignore SA1019 ReadFrame is deprecated for unbounded network input; here it reads our own bytes.
			f, err := ws.ReadFrame(rd)
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			want := ws.Header{Fin: tc.fin, OpCode: tc.op, Length: int64(size)}
			if f.Header != want || !bytes.Equal(f.Payload, payload) || rd.Len() != 0 {
				t.Fatalf("size %d: header %+v, want %+v; payload equal %v; %d bytes left",
					size, f.Header, want, bytes.Equal(f.Payload, payload), rd.Len())
			}
			// gobwas's own writer produces the same bytes.
			var gw bytes.Buffer
			if err := ws.WriteFrame(&gw, ws.NewFrame(tc.op, tc.fin, payload)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gw.Bytes(), frame) {
				t.Fatalf("size %d: differs from ws.WriteFrame", size)
			}
		}
	}
}

// TestAppendFrameGrowsOnce: appending to a slice with room does not
// allocate, and to one without room allocates once.
func TestAppendFrameGrowsOnce(t *testing.T) {
	payload := make([]byte, 1000)
	dst := make([]byte, 0, FrameSize(len(payload)))
	if a := testing.AllocsPerRun(100, func() { dst = AppendFrame(dst[:0], ws.OpBinary, true, payload) }); a != 0 {
		t.Fatalf("%v allocations with room", a)
	}
	if a := testing.AllocsPerRun(100, func() { _ = AppendFrame(nil, ws.OpBinary, true, payload) }); a != 1 && !raceEnabled {
		t.Fatalf("%v allocations without room, want 1", a)
	}
	if a := testing.AllocsPerRun(100, func() { dst = AppendClose(dst[:0], 1000, "bye") }); a != 0 {
		t.Fatalf("AppendClose: %v allocations with room", a)
	}
}

func TestFrameSize(t *testing.T) {
	for n, want := range map[int]int{0: 2, 125: 127, 126: 130, 65535: 65539, 65536: 65546, 1 << 20: 1<<20 + 10} {
		if got := FrameSize(n); got != want {
			t.Errorf("FrameSize(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestAppendFrameThroughReader: a server frame, once masked as a client
// would, is read back by our Reader.
func TestAppendFrameThroughReader(t *testing.T) {
	for _, size := range []int{0, 125, 126, 65535, 65536, 1 << 20} {
		payload := bytes.Repeat([]byte("x"), size)
		frame := AppendFrame(nil, ws.OpText, true, payload)
		hdr := FrameSize(size) - size
		frame[1] |= 0x80
		masked := cat(frame[:hdr], testMask[:], frame[hdr:])
		ws.Cipher(masked[hdr+4:], testMask, 0)
		got := feed(t, 0, masked, nil)
		if !got.equal(ok(ev(Text, string(payload)))) {
			t.Fatalf("size %d: %v", size, got.events)
		}
	}
}

func TestAppendClose(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   ws.StatusCode
		reason string
		want   []byte
	}{
		{"no status", 0, "ignored", []byte{0x88, 0x00}},
		{"1005 echoes as no status", ws.StatusNoStatusRcvd, "", []byte{0x88, 0x00}},
		{"normal", 1000, "", []byte{0x88, 0x02, 0x03, 0xe8}},
		{"with reason", 1001, "bye", []byte{0x88, 0x05, 0x03, 0xe9, 'b', 'y', 'e'}},
		{"invalid UTF-8 suffix dropped", 1011, "oops\xff!", []byte{0x88, 0x06, 0x03, 0xf3, 'o', 'o', 'p', 's'}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := AppendClose(nil, tc.code, tc.reason); !bytes.Equal(got, tc.want) {
				t.Fatalf("got %x, want %x", got, tc.want)
			}
		})
	}

	// Long reasons are cut to 123 bytes on a rune boundary.
	for _, reason := range []string{
		strings.Repeat("a", 200),
		strings.Repeat("a", 122) + "€€",
		strings.Repeat("a", 121) + "€",
		strings.Repeat("a", 120) + "€",
		strings.Repeat("😀", 40),
	} {
		frame := AppendClose(nil, 4000, reason)
		//lint:ignore SA1019 reading our own bytes, not network input.
		f, err := ws.ReadFrame(bytes.NewReader(frame))
		if err != nil {
			t.Fatal(err)
		}
		if f.Header.OpCode != ws.OpClose || !f.Header.Fin || f.Header.Length > 125 {
			t.Fatalf("bad header %+v", f.Header)
		}
		code, got := ws.ParseCloseFrameData(f.Payload)
		if code != 4000 || !utf8.ValidString(got) || !strings.HasPrefix(reason, got) || len(got) > 123 {
			t.Fatalf("reason %q → %d %q", reason, code, got)
		}
		if len(reason) <= 123 && got != reason {
			t.Fatalf("reason %q cut to %q", reason, got)
		}
		// As long as possible: the next rune would not fit.
		if len(got) < len(reason) {
			_, size := utf8.DecodeRuneInString(reason[len(got):])
			if len(got)+size <= 123 {
				t.Fatalf("reason %q cut too short to %q", reason, got)
			}
		}
		// Our Reader accepts it.
		frame[1] |= 0x80
		masked := cat(frame[:2], testMask[:], frame[2:])
		ws.Cipher(masked[6:], testMask, 0)
		if res := feed(t, 0, masked, nil); !res.equal(ok(closeEv(4000, got))) {
			t.Fatalf("Reader: %v", res.events)
		}
	}
}

func TestValidSendCode(t *testing.T) {
	want := map[ws.StatusCode]bool{
		1000: true, 1001: true, 1002: true, 1003: true,
		1007: true, 1008: true, 1009: true, 1011: true, 1012: true, 1013: true, 1014: true,
	}
	for c := 3000; c <= 4999; c++ {
		want[ws.StatusCode(c)] = true
	}
	for c := 0; c <= 0xffff; c++ {
		code := ws.StatusCode(c)
		if got := ValidSendCode(code); got != want[code] {
			t.Errorf("ValidSendCode(%d) = %v", c, got)
		}
		// Whatever a server may send, a peer may receive.
		if ValidSendCode(code) && !validReceiveCode(code) {
			t.Errorf("%d sendable but not receivable", c)
		}
	}
}
