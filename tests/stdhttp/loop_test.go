package stdhttp_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/stdhttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestBlockingHandlersDoNotHoldUpTheLoop: 32 handlers that each block
// 200 ms finish together, not one after another, and while 32 others are
// blocked a quick request on another connection is answered.
func TestBlockingHandlersDoNotHoldUpTheLoop(t *testing.T) {
	release := make(chan struct{})
	var blocked atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		fmt.Fprint(w, "slept")
	})
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		blocked.Add(1)
		<-release
		fmt.Fprint(w, "released")
	})
	mux.HandleFunc("/quick", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "quick") })
	s := testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(mux)})
	client := testserver.Client()

	get := func(path string) (string, error) {
		resp, err := client.Get(s.URL + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if body, err := get("/sleep"); err != nil || body != "slept" {
				errs <- fmt.Errorf("/sleep: %q %v", body, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	took := time.Since(start)
	t.Logf("32 handlers blocking 200 ms each took %v together", took)
	if took > time.Second {
		t.Errorf("32 handlers of 200 ms took %v: they ran one after another", took)
	}

	done := make(chan error, 32)
	for range 32 {
		go func() {
			body, err := get("/block")
			if err == nil && body != "released" {
				err = fmt.Errorf("body %q", body)
			}
			done <- err
		}()
	}
	if !waitUntil(5*time.Second, func() bool { return blocked.Load() == 32 }) {
		t.Fatalf("only %d of 32 handlers started", blocked.Load())
	}
	quickStart := time.Now()
	if body, err := get("/quick"); err != nil || body != "quick" {
		t.Fatalf("quick request while 32 block: %q %v", body, err)
	}
	t.Logf("a quick request with 32 handlers blocked took %v", time.Since(quickStart))
	close(release)
	for range 32 {
		if err := recvTimeout(t, done, 5*time.Second, "a released handler"); err != nil {
			t.Error(err)
		}
	}
}

// TestClientGoneEndsContext: a client that leaves while the handler waits
// ends r.Context(), as net/http does.
func TestClientGoneEndsContext(t *testing.T) {
	started := make(chan struct{})
	ended := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
			ended <- r.Context().Err()
		case <-time.After(10 * time.Second):
			ended <- errors.New("context still alive 10 s after the client left")
		}
	})
	s := testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(h)})
	c := s.Dial(t, 10*time.Second)
	io.WriteString(c, "GET /wait HTTP/1.1\r\nHost: localhost\r\n\r\n")
	recvTimeout(t, started, 5*time.Second, "the handler to start")
	c.Close()
	if err := recvTimeout(t, ended, 15*time.Second, "the context's end"); !errors.Is(err, context.Canceled) {
		t.Fatalf("after the client left: %v, want context.Canceled", err)
	}
}

// TestGorillaUpgraderThroughHijack: gorilla/websocket's Upgrader, used as
// in any net/http program, echoes text and binary messages up to 1 MiB.
func TestGorillaUpgraderThroughHijack(t *testing.T) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade answered the client
		}
		defer conn.Close()
		for {
			mt, p, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if err := conn.WriteMessage(mt, p); err != nil {
				return
			}
		}
	})
	s := testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(h), MaxBodyBytes: 2 << 20})
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws://"+s.Host+"/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		for _, mt := range []int{websocket.TextMessage, websocket.BinaryMessage} {
			msg := bytes.Repeat([]byte("abcdefghij"), n/10+1)[:n]
			if err := conn.WriteMessage(mt, msg); err != nil {
				t.Fatalf("write %d: %v", n, err)
			}
			gotType, got, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("read %d: %v", n, err)
			}
			if gotType != mt || !bytes.Equal(got, msg) {
				t.Fatalf("echo of %d bytes (type %d): got %d bytes of type %d", n, mt, len(got), gotType)
			}
		}
	}
	conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("after our close: %v, want the echoed 1000", err)
	}
	if !waitUntil(5*time.Second, func() bool { return s.Connections() == 0 }) {
		t.Errorf("the hijacked connection is still open after the close handshake")
	}
}

// TestLineProtocolAfterHijacked101: a handler writes its own 101 on a
// hijacked connection and speaks a line protocol; the client's first
// line, sent in the same write as the request, is not lost.
func TestLineProtocolAfterHijacked101(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "lines" {
			http.Error(w, "upgrade to lines", http.StatusUpgradeRequired)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: lines\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSpace(line)
			if line == "quit" {
				brw.WriteString("bye\n")
				brw.Flush()
				return
			}
			fmt.Fprintf(brw, "echo: %s\n", strings.ToUpper(line))
			brw.Flush()
		}
	})
	s := testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(h)})
	c := s.Dial(t, 10*time.Second)
	io.WriteString(c, "GET /lines HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: lines\r\n\r\nfirst\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	want := []string{"echo: FIRST"}
	for i := range 100 {
		fmt.Fprintf(c, "line %d\n", i)
		want = append(want, fmt.Sprintf("echo: LINE %d", i))
	}
	io.WriteString(c, "quit\n")
	want = append(want, "bye")
	for _, w := range want {
		got, err := br.ReadString('\n')
		if err != nil || strings.TrimSpace(got) != w {
			t.Fatalf("got %q (%v), want %q", got, err, w)
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after bye: %v, want EOF (the handler closed)", err)
	}
}

// TestUploadToDiskKeepsHeapFlat: a 256 MiB upload that the handler copies
// to a file arrives intact and does not grow the server's heap: the body
// is streamed through the loop with back-pressure.
func TestUploadToDiskKeepsHeapFlat(t *testing.T) {
	size := int64(256 << 20)
	if os.Getenv("WINEPREFIX") != "" {
		size = 64 << 20 // wine's file and socket calls are slow: the same test, a quarter of the bytes
	}
	dir, err := os.MkdirTemp("", "phttp-upload-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Create(filepath.Join(dir, "upload"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		n, err := io.Copy(f, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		f.Seek(0, io.SeekStart)
		sum := sha256.New()
		io.Copy(sum, f)
		fmt.Fprintf(w, "%d %s", n, hex.EncodeToString(sum.Sum(nil)))
	})
	s := testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(h), StreamBodies: true, MaxBodyBytes: 1 << 30})
	heap := testserver.StartHeapSampler(5 * time.Millisecond)
	req, _ := http.NewRequest("POST", s.URL+"/upload", testserver.Pattern(size))
	req.ContentLength = size
	client := testserver.Client()
	client.Timeout = 2 * time.Minute
	resp, err := client.Do(req)
	heap.Finish()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("%d %s", size, testserver.PatternSum(size)); string(got) != want {
		t.Fatalf("%d MiB upload: %q, want %q", size>>20, got, want)
	}
	growth := int64(heap.InuseGrowth())
	t.Logf("heap in use grew by %.1f MiB at most during a %d MiB upload (%d samples)", float64(growth)/(1<<20), size>>20, heap.Samples())
	if growth > 48<<20 {
		t.Errorf("heap grew by %d MiB for a %d MiB upload to disk; want under 48 MiB", growth>>20, size>>20)
	}
}

// TestPanicAnswers500AndServerGoesOn: a panic other than ErrAbortHandler
// is logged once and answered 500; the next request is served.
func TestPanicAnswers500AndServerGoesOn(t *testing.T) {
	var logs testserver.LockedBuffer
	mux := http.NewServeMux()
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	for _, onLoop := range []bool{false, true} {
		logs.Reset()
		h := stdhttp.Handler(mux)
		if onLoop {
			h = stdhttp.OnLoop(mux)
		}
		s := testserver.Start(t, &phttp.Server{Handler: h, Logger: newLogger(&logs)})
		raw := s.RawExchange(t, "GET /panic HTTP/1.1\r\nHost: localhost\r\n\r\nGET /ok HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 5*time.Second)
		if !strings.HasPrefix(raw, "HTTP/1.1 500 ") || !strings.Contains(raw, "\r\n\r\nok") {
			t.Errorf("onLoop=%v: panic then ok: %q", onLoop, raw)
		}
		if n := strings.Count(logs.String(), "handler panic"); n != 1 {
			t.Errorf("onLoop=%v: the panic was logged %d times, want once: %s", onLoop, n, logs.String())
		}
	}
}

// TestExpectContinueOnlyWhenRead: a streamed body's 100 Continue goes when
// the handler first reads it; a handler that answers without reading
// sends none, and the connection closes after its answer.
func TestExpectContinueOnlyWhenRead(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/reject" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "got %d", len(b))
	})
	s := testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(h), StreamBodies: true})
	c := s.Dial(t, 5*time.Second)
	io.WriteString(c, "POST /reject HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	raw, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(raw), "HTTP/1.1 401 ") {
		t.Errorf("a handler that does not read: %q, want 401 and no 100", raw)
	}

	c = s.Dial(t, 5*time.Second)
	io.WriteString(c, "POST /read HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	line, _ := br.ReadString('\n')
	if line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("a handler that reads: %q, want 100 Continue first", line)
	}
	br.ReadString('\n')
	io.WriteString(c, "hello")
	resp, body := testserver.ReadResponse(t, br, "POST")
	if resp.StatusCode != 200 || body != "got 5" {
		t.Errorf("after the 100: %d %q", resp.StatusCode, body)
	}
}

// TestRequestFields: the *http.Request is what net/http would build.
func TestRequestFields(t *testing.T) {
	got := make(chan *http.Request, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		got <- r
	})
	s := testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(h)})
	raw := s.RawExchange(t, "POST /a%2Fb/c?x=1&y=%20 HTTP/1.1\r\nHost: localhost\r\nx-lower: v1\r\nX-LOWER: v2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 5*time.Second)
	if testserver.StatusOf(raw) != 200 {
		t.Fatalf("answer: %q", raw)
	}
	r := <-got
	checks := []struct {
		name      string
		got, want any
	}{
		{"Method", r.Method, "POST"},
		{"URL.Path", r.URL.Path, "/a/b/c"},
		{"URL.RawPath", r.URL.RawPath, "/a%2Fb/c"},
		{"URL.RawQuery", r.URL.RawQuery, "x=1&y=%20"},
		{"Proto", r.Proto, "HTTP/1.1"},
		{"ProtoMinor", r.ProtoMinor, 1},
		{"Host", r.Host, "localhost"},
		{"Header X-Lower", fmt.Sprint(r.Header["X-Lower"]), "[v1 v2]"},
		{"Header Host", r.Header.Get("Host"), ""},
		{"RequestURI", r.RequestURI, "/a%2Fb/c?x=1&y=%20"},
		{"ContentLength", r.ContentLength, int64(-1)},
		{"TransferEncoding", fmt.Sprint(r.TransferEncoding), "[chunked]"},
		{"Close", r.Close, true},
		{"RemoteAddr is an address", strings.HasPrefix(r.RemoteAddr, "127.0.0.1:"), true},
		{"LocalAddrContextKey", r.Context().Value(http.LocalAddrContextKey).(net.Addr).String(), s.Host},
		{"TLS", r.TLS == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}
