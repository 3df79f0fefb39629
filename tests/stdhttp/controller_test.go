package stdhttp_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/stdhttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestResponseControllerFlushArrivesEarly: a piece flushed through
// http.ResponseController reaches the client while the handler still
// runs (it waits for the client to have it).
func TestResponseControllerFlushArrivesEarly(t *testing.T) {
	seen := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.EnableFullDuplex(); err != nil {
			t.Errorf("EnableFullDuplex: %v", err)
		}
		io.WriteString(w, "first\n")
		if err := rc.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		select {
		case <-seen:
		case <-time.After(5 * time.Second):
			t.Error("the client never saw the flushed piece")
		}
		io.WriteString(w, "second\n")
	})
	s := testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(h)})
	resp, err := testserver.Client().Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, _ := br.ReadString('\n'); line != "first\n" {
		t.Fatalf("first piece %q", line)
	}
	close(seen)
	if line, _ := br.ReadString('\n'); line != "second\n" {
		t.Fatalf("second piece %q", line)
	}
}

// TestResponseControllerDeadlines: SetReadDeadline ends a read of a body
// that stalls; SetWriteDeadline ends a write to a client that stopped
// reading, and the answer is aborted.
func TestResponseControllerDeadlines(t *testing.T) {
	readErr := make(chan error, 1)
	writeErr := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/read", func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, err := io.ReadAll(r.Body)
		readErr <- err
	})
	mux.HandleFunc("/write", func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		rc.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		chunk := bytes.Repeat([]byte("w"), 64<<10)
		for range 1 << 14 { // 1 GiB: far more than any socket buffer
			if _, err := w.Write(chunk); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- errors.New("1 GiB written to a client that reads nothing")
	})
	s := testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(mux), StreamBodies: true, SendQueueBytes: 256 << 10})

	c := s.Dial(t, 10*time.Second)
	io.WriteString(c, "POST /read HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\npartial")
	if err := recvTimeout(t, readErr, 5*time.Second, "the body read to end"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}

	c = s.Dial(t, 10*time.Second)
	io.WriteString(c, "GET /write HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if err := recvTimeout(t, writeErr, 10*time.Second, "the write to end"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("write past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("the aborted answer's connection did not close: %v", err)
	}
}

// TestOnLoopLimits: an OnLoop handler cannot hijack or take a write
// deadline (it must not block), and gets a streamed body whole.
func TestOnLoopLimits(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, herr := http.NewResponseController(w).Hijack()
		derr := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Second))
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "hijack=%v deadline=%v body=%d", errors.Is(herr, stdhttp.ErrOnLoop), errors.Is(derr, stdhttp.ErrOnLoop), len(b))
	})
	s := testserver.Start(t, &phttp.Server{Handler: stdhttp.OnLoop(h), StreamBodies: true})
	body := strings.Repeat("x", 300<<10)
	resp, err := testserver.Client().Post(s.URL+"/", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("hijack=true deadline=true body=%d", len(body)); string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestWriterKeptPastServeHTTP: a writer a handler keeps and uses after
// ServeHTTP returned reaches nothing: not its own finished answer, and
// never (OnLoop reuses the loop's Response) another request's.
func TestWriterKeptPastServeHTTP(t *testing.T) {
	for _, onLoop := range []bool{false, true} {
		kept := make(chan http.ResponseWriter, 1)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/keep" {
				kept <- w
			}
			io.WriteString(w, "answer of "+r.URL.Path)
		})
		bridge := stdhttp.Handler(h)
		if onLoop {
			bridge = stdhttp.OnLoop(h)
		}
		s := testserver.Start(t, &phttp.Server{Handler: bridge})
		c := s.Dial(t, 5*time.Second)
		br := bufio.NewReader(c)
		io.WriteString(c, "GET /keep HTTP/1.1\r\nHost: localhost\r\n\r\n")
		if _, body := testserver.ReadResponse(t, br, "GET"); body != "answer of /keep" {
			t.Fatalf("first answer %q", body)
		}
		w := <-kept
		if _, err := io.WriteString(w, "LEAK"); err == nil {
			t.Errorf("onLoop=%v: a write after ServeHTTP returned succeeded", onLoop)
		}
		w.Header().Set("X-Leak", "1")
		w.WriteHeader(500)
		io.WriteString(c, "GET /next HTTP/1.1\r\nHost: localhost\r\n\r\n")
		resp, body := testserver.ReadResponse(t, br, "GET")
		if resp.StatusCode != 200 || body != "answer of /next" || resp.Header.Get("X-Leak") != "" {
			t.Errorf("onLoop=%v: the next request's answer was reached: %d %q %v", onLoop, resp.StatusCode, body, resp.Header)
		}
	}
}
