package websocket_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/gorilla/websocket"
)

// echoSizes are the payload lengths around the frame-length encodings.
var echoSizes = []int{0, 125, 126, 65535, 65536, 1 << 20}

func TestEchoSizes(t *testing.T) {
	s := startWS(t, nil)
	c := s.dialGorilla(t, "/ws", nil)
	for _, kind := range []int{websocket.TextMessage, websocket.BinaryMessage} {
		for _, n := range echoSizes {
			name := fmt.Sprintf("text/%d", n)
			msg := pattern(n, byte(n))
			if kind == websocket.BinaryMessage {
				name = fmt.Sprintf("binary/%d", n)
				msg = randomBytes(n)
			}
			t.Run(name, func(t *testing.T) {
				deadline(c, wait)
				if err := c.WriteMessage(kind, msg); err != nil {
					t.Fatalf("write: %v", err)
				}
				gotKind, got, err := c.ReadMessage()
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if gotKind != kind {
					t.Errorf("message type %d, want %d", gotKind, kind)
				}
				if !bytes.Equal(got, msg) {
					t.Errorf("echo of %d bytes came back as %s", n, describe(got))
				}
			})
		}
	}
}

// TestEchoSizesMultibyte echoes text whose code points straddle the
// reader's internal chunk boundaries.
func TestEchoSizesMultibyte(t *testing.T) {
	s := startWS(t, nil)
	c := s.dialGorilla(t, "/ws", nil)
	for _, n := range []int{1, 1000, 70000, 1 << 20} {
		msg := bytes.Repeat([]byte("é€😀x"), n/10+1)
		deadline(c, wait)
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			t.Fatalf("write: %v", err)
		}
		_, got, err := c.ReadMessage()
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("echo of %d bytes of multibyte text: %s, %v", len(msg), describe(got), err)
		}
	}
}
