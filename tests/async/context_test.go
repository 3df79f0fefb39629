package async

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// contextServer hands every request's Context (and, for /detach, its
// detached Response) to the test.
func contextServer(t *testing.T) (*testserver.Running, chan context.Context, chan *phttp.Response) {
	ctxs := make(chan context.Context, 16)
	answers := make(chan *phttp.Response, 16)
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		switch r.Type {
		case phttp.HTTP:
			ctxs <- r.Context()
			switch r.Path {
			case "/detach":
				w.Detach()
				answers <- w
			case "/ws":
				w.AcceptWebSocket("")
			default:
				w.WriteString("sync")
			}
		case phttp.WebSocketText:
			ctxs <- r.Context()
		}
	}}
	return testserver.Start(t, srv), ctxs, answers
}

// doneWith waits for ctx to end and checks its cause.
func doneWith(t *testing.T, ctx context.Context, cause error, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
		if got := context.Cause(ctx); !errors.Is(got, cause) {
			t.Errorf("%s: context ended with %v, want %v", what, got, cause)
		}
	case <-time.After(time.Second):
		t.Fatalf("%s: context not done within a second", what)
	}
}

// TestRequestContext: a request's Context ends when its answer has been
// sent (ErrAnswerSent), when its client goes away first (ErrClosed, within
// a second, with Connections back down), or when the server stops
// (ErrServerStopped); a WebSocket event's ends when the connection closes.
func TestRequestContext(t *testing.T) {
	s, ctxs, answers := contextServer(t)
	dial := func(path string) (net.Conn, *bufio.Reader) {
		c := s.Dial(t, 5*time.Second)
		io.WriteString(c, getRequest(path))
		return c, bufio.NewReader(c)
	}

	t.Run("answer sent", func(t *testing.T) {
		_, br := dial("/sync")
		ctx := recvTimeout(t, ctxs, 5*time.Second, "the context")
		if _, _, err := readResponse(br, "GET"); err != nil {
			t.Fatal(err)
		}
		doneWith(t, ctx, phttp.ErrAnswerSent, "synchronous answer")

		_, br = dial("/detach")
		ctx = recvTimeout(t, ctxs, 5*time.Second, "the context")
		w := recvTimeout(t, answers, 5*time.Second, "the detached answer")
		select {
		case <-ctx.Done():
			t.Fatal("a detached answer's context ended before its answer")
		default:
		}
		w.WriteString("late")
		if err := w.Send(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := readResponse(br, "GET"); err != nil {
			t.Fatal(err)
		}
		doneWith(t, ctx, phttp.ErrAnswerSent, "detached answer")
	})

	t.Run("client gone", func(t *testing.T) {
		c, _ := dial("/detach")
		ctx := recvTimeout(t, ctxs, 5*time.Second, "the context")
		w := recvTimeout(t, answers, 5*time.Second, "the detached answer")
		before := s.Connections()
		c.Close()
		doneWith(t, ctx, phttp.ErrClosed, "client that left its detached answer")
		if !waitUntil(time.Second, func() bool { return s.Connections() < before }) {
			t.Errorf("Connections %d after the client left, want below %d", s.Connections(), before)
		}
		if err := w.Send(); !errors.Is(err, phttp.ErrClosed) {
			t.Errorf("Send after the client left: %v, want ErrClosed", err)
		}
	})

	t.Run("WebSocket", func(t *testing.T) {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+s.Host+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		doneWith(t, recvTimeout(t, ctxs, 5*time.Second, "the upgrade's context"), phttp.ErrAnswerSent, "the upgrade request")
		c.WriteMessage(websocket.TextMessage, []byte("hi"))
		ctx := recvTimeout(t, ctxs, 5*time.Second, "a message's context")
		select {
		case <-ctx.Done():
			t.Fatal("an open WebSocket's context is done")
		default:
		}
		c.Close()
		doneWith(t, ctx, phttp.ErrClosed, "a closed WebSocket")
	})

	t.Run("server stopped", func(t *testing.T) {
		dial("/detach")
		ctx := recvTimeout(t, ctxs, 5*time.Second, "the context")
		recvTimeout(t, answers, 5*time.Second, "the detached answer")
		s.StopAndWait(t)
		doneWith(t, ctx, phttp.ErrServerStopped, "a detached answer when the server stops")
	})

	if ctx := (&phttp.Request{}).Context(); ctx != context.Background() {
		t.Errorf("a Request the server did not make: %v, want context.Background()", ctx)
	}
}
