package websocket_test

import (
	"bytes"
	"testing"

	gws "github.com/gobwas/ws"
	"github.com/phttp-go/phttp"
)

const maxMessage = 1 << 10 // MaxMessageBytes for the protocol tests

// protocolCases are client misbehaviours and the close code each must
// get (RFC 6455 §5, §7.4, §8.1).
var protocolCases = []struct {
	name string
	send [][]byte
	code phttp.CloseCode
}{
	{"unmasked frame", [][]byte{frame(gws.OpText, true, 0, false, []byte("hi"))}, 1002},
	{"unmasked empty frame", [][]byte{frame(gws.OpBinary, true, 0, false, nil)}, 1002},
	{"RSV1 set", [][]byte{frame(gws.OpText, true, gws.Rsv(true, false, false), true, []byte("hi"))}, 1002},
	{"RSV2 set", [][]byte{frame(gws.OpText, true, gws.Rsv(false, true, false), true, []byte("hi"))}, 1002},
	{"RSV3 set", [][]byte{frame(gws.OpText, true, gws.Rsv(false, false, true), true, []byte("hi"))}, 1002},
	{"RSV1 on a ping", [][]byte{frame(gws.OpPing, true, gws.Rsv(true, false, false), true, nil)}, 1002},
	{"unknown data opcode 3", [][]byte{masked(gws.OpCode(3), true, []byte("hi"))}, 1002},
	{"unknown data opcode 7", [][]byte{masked(gws.OpCode(7), true, nil)}, 1002},
	{"unknown control opcode 0xB", [][]byte{masked(gws.OpCode(0xB), true, nil)}, 1002},
	{"unknown control opcode 0xF", [][]byte{masked(gws.OpCode(0xF), true, []byte("x"))}, 1002},
	{"ping of 126 bytes", [][]byte{masked(gws.OpPing, true, make([]byte, 126))}, 1002},
	{"close of 126 bytes", [][]byte{masked(gws.OpClose, true, append(closePayload(1000, ""), make([]byte, 124)...))}, 1002},
	{"fragmented ping", [][]byte{masked(gws.OpPing, false, []byte("a")), masked(gws.OpContinuation, true, []byte("b"))}, 1002},
	{"fragmented close", [][]byte{masked(gws.OpClose, false, closePayload(1000, ""))}, 1002},
	{"continuation without start", [][]byte{masked(gws.OpContinuation, true, []byte("x"))}, 1002},
	{"non-final continuation without start", [][]byte{masked(gws.OpContinuation, false, []byte("x"))}, 1002},
	{"text inside a fragmented message", [][]byte{masked(gws.OpText, false, []byte("a")), masked(gws.OpText, true, []byte("b"))}, 1002},
	{"binary inside a fragmented text", [][]byte{masked(gws.OpText, false, []byte("a")), masked(gws.OpBinary, false, []byte("b"))}, 1002},
	{"continuation after a finished message", [][]byte{masked(gws.OpText, true, []byte("a")), masked(gws.OpContinuation, true, []byte("b"))}, 1002},
	{"text not UTF-8", [][]byte{masked(gws.OpText, true, []byte("ok \xff"))}, 1007},
	{"text with a surrogate", [][]byte{masked(gws.OpText, true, []byte("\xed\xa0\x80"))}, 1007},
	{"text overlong", [][]byte{masked(gws.OpText, true, []byte("\xc0\xaf"))}, 1007},
	{"text ending inside a code point", [][]byte{masked(gws.OpText, true, []byte("\xe2\x82"))}, 1007},
	{"invalid UTF-8 split across fragments", [][]byte{masked(gws.OpText, false, []byte("\xe2\x82")), masked(gws.OpContinuation, true, []byte("\x28"))}, 1007},
	{"fragmented text ending inside a code point", [][]byte{masked(gws.OpText, false, []byte("abc")), masked(gws.OpContinuation, true, []byte("\xf0\x9f\x98"))}, 1007},
	{"message one byte over the limit", [][]byte{masked(gws.OpBinary, true, make([]byte, maxMessage+1))}, 1009},
	{"text one byte over the limit", [][]byte{masked(gws.OpText, true, pattern(maxMessage+1, 0))}, 1009},
	{"fragments one byte over the limit", [][]byte{masked(gws.OpBinary, false, make([]byte, maxMessage/2)), masked(gws.OpContinuation, true, make([]byte, maxMessage/2+1))}, 1009},
	{"close code 1005", [][]byte{masked(gws.OpClose, true, closePayload(1005, ""))}, 1002},
	{"close code 1006", [][]byte{masked(gws.OpClose, true, closePayload(1006, ""))}, 1002},
	{"close code 1015", [][]byte{masked(gws.OpClose, true, closePayload(1015, ""))}, 1002},
	{"close code 999", [][]byte{masked(gws.OpClose, true, closePayload(999, ""))}, 1002},
	{"close code 0", [][]byte{masked(gws.OpClose, true, closePayload(0, ""))}, 1002},
	{"close code 1004", [][]byte{masked(gws.OpClose, true, closePayload(1004, ""))}, 1002},
	{"close code 1016", [][]byte{masked(gws.OpClose, true, closePayload(1016, "x"))}, 1002},
	{"close code 2999", [][]byte{masked(gws.OpClose, true, closePayload(2999, ""))}, 1002},
	{"close code 5000", [][]byte{masked(gws.OpClose, true, closePayload(5000, ""))}, 1002},
	{"close code 65535", [][]byte{masked(gws.OpClose, true, closePayload(65535, ""))}, 1002},
	{"close payload of 1 byte", [][]byte{masked(gws.OpClose, true, []byte{0x03})}, 1002},
	{"close reason not UTF-8", [][]byte{masked(gws.OpClose, true, closePayload(1000, "\xff"))}, 1007},
}

// TestProtocolErrors sends each misbehaviour on its own connection of one
// server: the server closes with the code, the handler sees
// WebSocketClose once with that code, and a new connection echoes fine.
func TestProtocolErrors(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.MaxMessageBytes = maxMessage })
	for _, tc := range protocolCases {
		t.Run(tc.name, func(t *testing.T) {
			rc := s.dialRaw(t, nil)
			id := rc.id()
			for _, b := range tc.send {
				rc.write(b)
			}
			code, reason := rc.readClose()
			if phttp.CloseCode(code) != tc.code {
				t.Errorf("server closed with %d %q, want %d", code, reason, tc.code)
			}
			rc.c.Close()
			s.expectOneClose(t, id, tc.code)
			s.checkEcho(t)
		})
	}
}

// TestProtocolErrorsSplit sends each misbehaviour one byte per write: the
// verdict must not depend on how the bytes arrive.
func TestProtocolErrorsSplit(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.MaxMessageBytes = maxMessage })
	for _, tc := range protocolCases {
		if len(bytes.Join(tc.send, nil)) > 300 {
			continue // the big ones are covered above
		}
		t.Run(tc.name, func(t *testing.T) {
			rc := s.dialRaw(t, nil)
			id := rc.id()
			for _, b := range bytes.Join(tc.send, nil) {
				rc.c.Write([]byte{b}) // the server may close early: errors are expected
			}
			code, reason := rc.readClose()
			if phttp.CloseCode(code) != tc.code {
				t.Errorf("server closed with %d %q, want %d", code, reason, tc.code)
			}
			rc.c.Close()
			s.expectOneClose(t, id, tc.code)
		})
	}
}

// TestMessageLimit checks MaxMessageBytes at the edge: exactly the limit
// is accepted, whole or in fragments; valid UTF-8 split across fragments
// is accepted.
func TestMessageLimit(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.MaxMessageBytes = maxMessage })
	rc := s.dialRaw(t, nil)

	at := randomBytes(maxMessage)
	rc.write(masked(gws.OpBinary, true, at))
	if f := rc.mustRead(); f.Header.OpCode != gws.OpBinary || !bytes.Equal(f.Payload, at) {
		t.Fatalf("message of exactly MaxMessageBytes: %v %s", f.Header.OpCode, describe(f.Payload))
	}
	text := pattern(maxMessage, 3)
	rc.write(masked(gws.OpText, true, text))
	if f := rc.mustRead(); f.Header.OpCode != gws.OpText || !bytes.Equal(f.Payload, text) {
		t.Fatalf("text of exactly MaxMessageBytes: %v %s", f.Header.OpCode, describe(f.Payload))
	}
	rc.write(masked(gws.OpBinary, false, at[:300]))
	rc.write(masked(gws.OpContinuation, false, at[300:301]))
	rc.write(masked(gws.OpPing, true, []byte("p")))
	rc.write(masked(gws.OpContinuation, true, at[301:]))
	if f := rc.mustRead(); f.Header.OpCode != gws.OpPong || string(f.Payload) != "p" {
		t.Fatalf("pong: %v %s", f.Header.OpCode, describe(f.Payload))
	}
	if f := rc.mustRead(); f.Header.OpCode != gws.OpBinary || !bytes.Equal(f.Payload, at) {
		t.Fatalf("fragmented message of exactly MaxMessageBytes: %v %s", f.Header.OpCode, describe(f.Payload))
	}
	rc.write(masked(gws.OpText, false, []byte("\xe2\x82")))
	rc.write(masked(gws.OpContinuation, true, []byte("\xac")))
	if f := rc.mustRead(); f.Header.OpCode != gws.OpText || string(f.Payload) != "€" {
		t.Fatalf("valid UTF-8 split across fragments: %v %s", f.Header.OpCode, describe(f.Payload))
	}

	// One byte past the limit on the same connection: 1009.
	id := rc.id()
	rc.write(masked(gws.OpBinary, true, randomBytes(maxMessage+1)))
	if code, reason := rc.readClose(); code != 1009 {
		t.Errorf("one byte past MaxMessageBytes: close %d %q, want 1009", code, reason)
	}
	rc.c.Close()
	s.expectOneClose(t, id, phttp.CloseMessageTooBig)
	s.checkEcho(t)
}
