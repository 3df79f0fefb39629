package websocket_test

import (
	"bufio"
	"errors"
	"strconv"
	"testing"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestSendToNonWebSocket: server sends to an HTTP (not upgraded)
// connection fail, and the HTTP connection is not disturbed.
func TestSendToNonWebSocket(t *testing.T) {
	s := startWS(t, nil)
	c := s.Dial(t, wait)
	br := bufio.NewReader(c)
	get := func() string {
		t.Helper()
		if _, err := c.Write([]byte("GET /id HTTP/1.1\r\nHost: " + s.Host + "\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		resp, body := testserver.ReadResponse(t, br, "GET")
		if resp.StatusCode != 200 {
			t.Fatalf("GET /id: %d", resp.StatusCode)
		}
		return body
	}
	body := get()
	n, err := strconv.ParseUint(body, 10, 64)
	if err != nil {
		t.Fatalf("GET /id body %q", body)
	}
	id := phttp.ConnID(n)
	notWS := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, phttp.ErrNotWebSocket) && !errors.Is(err, phttp.ErrClosed) {
			t.Errorf("%s to an HTTP connection: %v, want ErrNotWebSocket or ErrClosed", what, err)
		} else {
			t.Logf("%s to an HTTP connection: %v", what, err)
		}
	}
	notWS("SendWebSocket", s.SendWebSocket(id, phttp.WebSocketText, []byte("x")))
	notWS("TrySendWebSocket", s.TrySendWebSocket(id, phttp.WebSocketBinary, []byte("x")))
	notWS("CloseWebSocket", s.CloseWebSocket(id, phttp.CloseNormal, ""))
	// Nothing leaked onto the HTTP connection: the next response is clean.
	if again := get(); again != body {
		t.Errorf("second GET /id on the same connection: %q, want %q", again, body)
	}

	c.Close()
	waitGone(t, s.Server, id)
	for name, err := range map[string]error{
		"SendWebSocket":    s.SendWebSocket(id, phttp.WebSocketText, []byte("x")),
		"TrySendWebSocket": s.TrySendWebSocket(id, phttp.WebSocketText, []byte("x")),
		"CloseWebSocket":   s.CloseWebSocket(id, phttp.CloseNormal, ""),
	} {
		if !errors.Is(err, phttp.ErrClosed) {
			t.Errorf("%s to a closed HTTP connection: %v, want ErrClosed", name, err)
		}
	}
	if got := s.SendCapacity(id); got != -1 {
		t.Errorf("SendCapacity of a closed connection: %d, want -1", got)
	}
}

// TestSendToClosedWebSocket: sends to a WebSocket that has gone, and to
// an id that never existed, fail with ErrClosed; bad message types and
// invalid UTF-8 text are refused up front.
func TestSendToClosedWebSocket(t *testing.T) {
	s := startWS(t, nil)
	rc := s.dialRaw(t, nil)
	id := rc.id()

	if err := s.SendWebSocket(id, phttp.WebSocketClose, []byte("x")); !errors.Is(err, phttp.ErrBadMessageType) {
		t.Errorf("SendWebSocket(WebSocketClose): %v, want ErrBadMessageType", err)
	}
	if err := s.SendWebSocket(id, phttp.HTTP, []byte("x")); !errors.Is(err, phttp.ErrBadMessageType) {
		t.Errorf("SendWebSocket(HTTP): %v, want ErrBadMessageType", err)
	}
	if err := s.SendWebSocket(id, phttp.WebSocketText, []byte("\xff")); !errors.Is(err, phttp.ErrInvalidUTF8) {
		t.Errorf("SendWebSocket of invalid UTF-8 text: %v, want ErrInvalidUTF8", err)
	}
	if err := s.SendWebSocket(id, phttp.WebSocketBinary, []byte("\xff")); err != nil {
		t.Errorf("SendWebSocket of binary \\xff: %v", err)
	}
	if f := rc.mustRead(); string(f.Payload) != "\xff" {
		t.Errorf("binary message: %q", f.Payload)
	}

	rc.c.Close()
	s.expectOneClose(t, id, phttp.CloseAbnormal)
	for name, err := range map[string]error{
		"SendWebSocket":    s.SendWebSocket(id, phttp.WebSocketText, []byte("x")),
		"TrySendWebSocket": s.TrySendWebSocket(id, phttp.WebSocketText, []byte("x")),
		"CloseWebSocket":   s.CloseWebSocket(id, phttp.CloseNormal, ""),
		"never existed":    s.SendWebSocket(1<<62, phttp.WebSocketText, []byte("x")),
	} {
		if !errors.Is(err, phttp.ErrClosed) {
			t.Errorf("%s to a closed WebSocket: %v, want ErrClosed", name, err)
		}
	}
	if got := s.SendCapacity(id); got != -1 {
		t.Errorf("SendCapacity of a closed connection: %d, want -1", got)
	}
}
