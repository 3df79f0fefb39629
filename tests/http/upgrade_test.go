package http_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// echoProto is the line protocol of Polyphony's upgrade example: after
// "Upgrade: echo" the server greets, echoes each line, and closes on
// "quit". Lines are assembled per connection in state the loop owns.
type echoProto struct {
	srv   *phttp.Server
	lines map[phttp.ConnID][]byte
	ended chan phttp.ConnID
	ids   chan phttp.ConnID
}

func newEchoProto() *echoProto {
	return &echoProto{lines: map[phttp.ConnID][]byte{}, ended: make(chan phttp.ConnID, 16), ids: make(chan phttp.ConnID, 16)}
}

func (e *echoProto) handle(w *phttp.Response, r *phttp.Request) {
	switch r.Type {
	case phttp.HTTP:
		if r.Path == "/plain" {
			err := w.SendRaw([]byte("x"))
			tryErr := e.srv.TrySendRaw(r.ConnID, []byte("x"))
			w.WriteString(errors.Join(err, tryErr).Error())
			return
		}
		if r.Path == "/later" {
			w.Detach()
			go func() {
				w.AcceptUpgrade("echo")
				w.SendRaw([]byte("welcome, later\n"))
				w.Send()
			}()
			return
		}
		if r.Path != "/echo" {
			echo(w, r)
			return
		}
		w.AcceptUpgrade("echo")
		if w.SendWebSocket(phttp.WebSocketText, []byte("not on a raw upgrade")) == nil {
			w.Status = 500 // a WebSocket frame must not follow a raw 101
			return
		}
		if w.SendRaw([]byte("welcome\n")) == nil {
			e.ids <- r.ConnID
		}
	case phttp.Raw:
		if r.BodyDone {
			delete(e.lines, r.ConnID)
			e.ended <- r.ConnID
			return
		}
		buf := append(e.lines[r.ConnID], r.Body...)
		for {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			line := buf[:i+1]
			if string(line) == "quit\n" {
				w.SendRaw([]byte("bye\n"))
				e.srv.CloseRaw(r.ConnID)
			} else {
				w.SendRaw(line)
			}
			buf = buf[i+1:]
		}
		e.lines[r.ConnID] = append([]byte(nil), buf...)
	}
}

// startEcho serves echoProto on loopback.
func startEcho(t *testing.T) (*echoProto, *testserver.Running) {
	e := newEchoProto()
	e.srv = &phttp.Server{Handler: e.handle}
	return e, testserver.Start(t, e.srv)
}

const echoUpgrade = "GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"

// TestAcceptUpgrade: a handler takes over a connection for a protocol of
// its own after a 101: its greeting follows the 101, bytes that came right
// behind the request and bytes split across writes reach it as Raw
// events, sends from other goroutines arrive, CloseRaw closes once what
// was queued is out, and the handler sees the end once.
func TestAcceptUpgrade(t *testing.T) {
	e, s := startEcho(t)

	c := s.Dial(t, 5*time.Second)
	br := bufio.NewReader(c)
	io.WriteString(c, echoUpgrade+"early line\n")
	resp, err := readHead(br)
	if err != nil || resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "echo" {
		t.Fatalf("upgrade: %v, %v", resp, err)
	}
	id := <-e.ids
	for _, want := range []string{"welcome\n", "early line\n"} {
		if got, _ := br.ReadString('\n'); got != want {
			t.Fatalf("read %q, want %q", got, want)
		}
	}
	io.WriteString(c, "spl")
	io.WriteString(c, "it\nnext\n")
	for _, want := range []string{"split\n", "next\n"} {
		if got, _ := br.ReadString('\n'); got != want {
			t.Fatalf("read %q, want %q", got, want)
		}
	}
	if err := e.srv.SendRaw(id, []byte("pushed\n")); err != nil {
		t.Fatalf("SendRaw: %v", err)
	}
	if got, _ := br.ReadString('\n'); got != "pushed\n" {
		t.Fatalf("pushed: %q", got)
	}
	if err := e.srv.SendWebSocket(id, phttp.WebSocketText, []byte("x")); !errors.Is(err, phttp.ErrNotWebSocket) {
		t.Errorf("SendWebSocket on a raw connection: %v, want ErrNotWebSocket", err)
	}
	io.WriteString(c, "quit\n")
	rest, _ := io.ReadAll(br)
	if string(rest) != "bye\n" {
		t.Errorf("after quit: %q, want bye then EOF", rest)
	}
	if got := recvOne(t, e.ended); got != id {
		t.Errorf("end event for %d, want %d", got, id)
	}
	if err := e.srv.SendRaw(id, []byte("late")); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("SendRaw after close: %v, want ErrClosed", err)
	}

	// Detached: the 101 and its greeting go out with Send.
	c2 := s.Dial(t, 5*time.Second)
	br2 := bufio.NewReader(c2)
	io.WriteString(c2, strings.Replace(echoUpgrade, "/echo", "/later", 1))
	if resp, err := readHead(br2); err != nil || resp.StatusCode != 101 {
		t.Fatalf("detached upgrade: %v, %v", resp, err)
	}
	if got, _ := br2.ReadString('\n'); got != "welcome, later\n" {
		t.Fatalf("detached greeting: %q", got)
	}
	io.WriteString(c2, "ping\n")
	if got, _ := br2.ReadString('\n'); got != "ping\n" {
		t.Fatalf("echo after a detached upgrade: %q", got)
	}
	c2.Close()
	recvOne(t, e.ended) // the client went away: the handler hears of it

	mustServe(t, s)
}

// TestAcceptUpgradeRefused: an upgrade the client did not offer, or one on
// HTTP/1.0, is answered 400 and the connection stays HTTP; an upgrade
// from a foreign Origin gets 403; raw sends to an HTTP connection fail.
func TestAcceptUpgradeRefused(t *testing.T) {
	_, s := startEcho(t)
	for _, req := range []string{
		"GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: other\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: echo\r\n\r\n",
		"GET /echo HTTP/1.0\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n",
	} {
		c := s.Dial(t, 5*time.Second)
		br := bufio.NewReader(c)
		io.WriteString(c, req)
		resp, err := readHead(br)
		if err != nil || resp.StatusCode != 400 {
			t.Errorf("%q: %v, %v; want 400", req, resp, err)
		}
	}
	raw, _ := exchange(t, s, strings.Replace(echoUpgrade, "\r\n\r\n", "\r\nOrigin: http://evil.example\r\n\r\n", 1), 5*time.Second)
	if testserver.StatusOf(raw) != 403 {
		t.Errorf("upgrade from a foreign origin: %q, want 403", raw)
	}
	raw, _ = exchange(t, s, getClose("/plain"), 5*time.Second)
	want := phttp.ErrNotUpgraded.Error() + "\n" + phttp.ErrNotUpgraded.Error()
	if !strings.HasSuffix(raw, want) {
		t.Errorf("raw sends on an HTTP connection: %q, want both ErrNotUpgraded", raw)
	}
	mustServe(t, s)
}

// readHead reads a response head (a 101 has no body).
func readHead(br *bufio.Reader) (*http.Response, error) { return http.ReadResponse(br, nil) }

func recvOne[T any](t *testing.T, ch chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing within 5 s")
	}
	var zero T
	return zero
}

// TestSendRawSmallWritesInOrder: raw bytes queued in many small writes,
// which the queue joins into shared buffers, and a larger one between
// them, which it does not, arrive whole and in order. The loop is held
// in a posted function while they are queued, so that they all wait in
// the queue together.
func TestSendRawSmallWritesInOrder(t *testing.T) {
	e, s := startEcho(t)
	c := s.Dial(t, 10*time.Second)
	br := bufio.NewReader(c)
	io.WriteString(c, echoUpgrade)
	if resp, err := readHead(br); err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v, %v", resp, err)
	}
	id := <-e.ids
	if got, _ := br.ReadString('\n'); got != "welcome\n" {
		t.Fatalf("greeting: %q", got)
	}
	hold, held := make(chan struct{}), make(chan struct{})
	if err := e.srv.Post(func() { close(held); <-hold }); err != nil {
		t.Fatal(err)
	}
	<-held
	var want []byte
	for i := range 20000 {
		p := []byte{byte('a' + i%26)}
		if i == 10000 {
			p = bytes.Repeat([]byte("0123456789"), 100) // too large to join
		}
		if err := e.srv.TrySendRaw(id, p); err != nil {
			close(hold)
			t.Fatalf("TrySendRaw %d: %v", i, err)
		}
		want = append(want, p...)
	}
	close(hold)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatalf("reading %d bytes: %v", len(want), err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for got[i] == want[i] {
			i++
		}
		t.Fatalf("the bytes differ from byte %d on: %q, want %q", i, got[i:min(i+20, len(got))], want[i:min(i+20, len(want))])
	}
}
