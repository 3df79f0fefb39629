package async

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestAbort: an aborted detached answer is never taken for complete by
// net/http's client, however far it got (chunked, short of its
// Content-Length, not started); HTTP/1.0 without a length ends with a
// reset; Send after Abort fails, and the server goes on serving.
func TestAbort(t *testing.T) {
	sendAfter := make(chan error, 8)
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path == "/ok" {
			w.WriteString("ok")
			return
		}
		w.Detach()
		go func() {
			switch r.Path {
			case "/chunked":
				w.WriteString(strings.Repeat("c", 5000))
				w.Flush()
			case "/length":
				w.SetHeader("Content-Length", "1000")
				w.WriteString(strings.Repeat("l", 500))
				w.Flush()
			case "/http10":
				w.WriteString(strings.Repeat("h", 500))
				w.Flush()
			}
			w.WriteString("never sent")
			w.Abort()
			sendAfter <- w.Send()
		}()
	}}
	s := testserver.Start(t, srv)
	client := testserver.Client()
	for _, path := range []string{"/chunked", "/length", "/nothing"} {
		resp, err := client.Get(s.URL + path)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil {
				t.Errorf("%s: aborted answer read as complete: %d, %d bytes", path, resp.StatusCode, len(body))
			}
			if strings.Contains(string(body), "never sent") {
				t.Errorf("%s: bytes written after Abort went out", path)
			}
		}
		if err := recvTimeout(t, sendAfter, 5*time.Second, "Send after Abort"); !errors.Is(err, phttp.ErrResponseSent) {
			t.Errorf("%s: Send after Abort: %v, want ErrResponseSent", path, err)
		}
	}
	// HTTP/1.0, no Content-Length: the body ends at close, so only a reset
	// says the answer failed.
	c := s.Dial(t, 5*time.Second)
	io.WriteString(c, "GET /http10 HTTP/1.0\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
	}
	switch {
	case isReset(err):
	case err == nil && runtime.GOOS == "windows":
		// Seen once under wine on a loaded machine, never alone: its
		// closesocket with SO_LINGER 0 ended in a FIN. Windows documents
		// a reset (a hard close).
		t.Logf("HTTP/1.0 answer without length, aborted: a clean end under wine, not a reset")
	default:
		t.Errorf("HTTP/1.0 answer without length, aborted: %v, want a connection reset", err)
	}
	recvTimeout(t, sendAfter, 5*time.Second, "Send after Abort")
	if resp, err := client.Get(s.URL + "/ok"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the aborts: %v", err)
	}
}
