package async

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// uploadServer streams /upload bodies (and only those) to a goroutine that
// hashes them through BodyReader, pausing after each read when pace is set;
// /json bodies are buffered.
func uploadServer(t *testing.T, maxBody int64, pace time.Duration, readErr chan<- error) *testserver.Running {
	srv := &phttp.Server{
		MaxBodyBytes: maxBody,
		StreamBody:   func(r *phttp.Request) bool { return r.Path == "/upload" },
		Handler: func(w *phttp.Response, r *phttp.Request) {
			switch r.Path {
			case "/json":
				fmt.Fprintf(w, "buffered %d done=%v", len(r.Body), r.BodyDone)
			case "/upload":
				body := r.BodyReader()
				w.Detach()
				go func() {
					h := sha256.New()
					buf := make([]byte, 32<<10)
					var err error
					for {
						var n int
						n, err = body.Read(buf)
						h.Write(buf[:n])
						if err != nil {
							break
						}
						if pace > 0 {
							time.Sleep(pace)
						}
					}
					if readErr != nil {
						readErr <- err
					}
					if err != io.EOF {
						w.Abort()
						return
					}
					w.WriteString(hex.EncodeToString(h.Sum(nil)))
					w.Send()
				}()
			}
		},
	}
	return testserver.Start(t, srv)
}

// TestStreamBodyPerRoute: StreamBody picks streaming per request: the
// upload route's body reaches a BodyReader goroutine whole and in order,
// while a JSON route on the same server gets its body buffered.
func TestStreamBodyPerRoute(t *testing.T) {
	s := uploadServer(t, 64<<20, 0, nil)
	client := testserver.Client()
	resp, err := client.Post(s.URL+"/json", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "buffered 7 done=true" {
		t.Errorf("buffered route: %q", body)
	}
	for _, n := range []int64{0, 1, 100 << 10, 5 << 20} {
		req, _ := http.NewRequest("POST", s.URL+"/upload", testserver.Pattern(n))
		req.ContentLength = n
		if n == 5<<20 {
			req.ContentLength = -1 // chunked
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != testserver.PatternSum(n) {
			t.Errorf("%d-byte upload: sha256 %q, want %q", n, got, testserver.PatternSum(n))
		}
	}
}

// TestBodyReaderBackPressure: a 256 MiB upload read by a deliberately slow
// goroutine keeps the server's heap growth small (the loop stops reading
// while 64 KiB wait unread) and arrives intact.
func TestBodyReaderBackPressure(t *testing.T) {
	const size = 256 << 20
	s := uploadServer(t, size, 50*time.Microsecond, nil)
	heap := testserver.StartHeapSampler(5 * time.Millisecond)
	req, _ := http.NewRequest("POST", s.URL+"/upload", testserver.Pattern(size))
	req.ContentLength = size
	resp, err := testserver.Client().Do(req)
	heap.Finish()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != testserver.PatternSum(size) {
		t.Fatalf("256 MiB upload: sha256 %q, want %q", got, testserver.PatternSum(size))
	}
	growth := int64(heap.InuseGrowth())
	t.Logf("heap in use grew by %.1f MiB at most (%d samples)", float64(growth)/(1<<20), heap.Samples())
	if growth > 48<<20 {
		t.Errorf("heap grew by %d MiB for a 256 MiB upload to a slow reader; want under 48 MiB", growth>>20)
	}
}

// TestBodyReaderLimitsAndEnds: past MaxBodyBytes the reader's error wraps
// ErrBodyTooLarge and the client gets 413; a client that goes away
// mid-body ends the reader with ErrClosed; a body of exactly the limit is
// read whole.
func TestBodyReaderLimitsAndEnds(t *testing.T) {
	const max = 1 << 20
	readErr := make(chan error, 4)
	s := uploadServer(t, max, 0, readErr)

	req, _ := http.NewRequest("POST", s.URL+"/upload", testserver.Pattern(max))
	req.ContentLength = -1
	resp, err := testserver.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := <-readErr; err != io.EOF || string(got) != testserver.PatternSum(max) {
		t.Fatalf("body of exactly MaxBodyBytes: %v, %q", err, got)
	}

	c := s.Dial(t, 5*time.Second)
	io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for range (max / len(chunk)) + 2 {
		if _, err := fmt.Fprintf(c, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
			break
		}
	}
	if err := recvTimeout(t, readErr, 5*time.Second, "the reader's end"); !errors.Is(err, phttp.ErrBodyTooLarge) {
		t.Errorf("past MaxBodyBytes: reader got %v, want ErrBodyTooLarge", err)
	}
	raw, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(raw), "HTTP/1.1 413") {
		t.Errorf("past MaxBodyBytes: client got %.60q, want 413", raw)
	}

	c = s.Dial(t, 5*time.Second)
	io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\npartial")
	c.Close()
	if err := recvTimeout(t, readErr, 5*time.Second, "the reader's end"); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("client gone mid-body: reader got %v, want ErrClosed", err)
	}
}

// TestBodyReaderClientGoneWhilePaused: a client that gives up while the
// loop has stopped reading it (its BodyReader is full and nobody reads) is
// noticed, by its FIN or its reset: the reader gets ErrClosed and the
// connection is freed.
func TestBodyReaderClientGoneWhilePaused(t *testing.T) {
	for _, reset := range []bool{false, true} {
		readErr := make(chan error, 1)
		start := make(chan struct{})
		srv := &phttp.Server{StreamBodies: true, MaxBodyBytes: 1 << 30, Handler: func(w *phttp.Response, r *phttp.Request) {
			body := r.BodyReader()
			w.Detach()
			go func() {
				<-start // a reader that has not begun: the pipe fills
				_, err := io.Copy(io.Discard, body)
				readErr <- err
			}()
		}}
		s := testserver.Start(t, srv)
		c := s.Dial(t, 10*time.Second)
		head := fmt.Sprintf("POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n", 64<<20)
		io.WriteString(c, head)
		// More than the pipe's window, less than the kernel's buffers: the
		// loop pauses, and a FIN still gets through. WSAPoll (under wine,
		// at least) reports the FIN only once nothing waits unread in the
		// kernel, so there the upload is exactly the window: the loop
		// reads it all, whatever pieces it arrives in, then pauses.
		upload := 100 << 10
		if runtime.GOOS == "windows" {
			upload = 64 << 10
		}
		c.Write(bytes.Repeat([]byte("u"), upload))
		// The client leaves once the server has read a window's worth
		// (the pipe is full, the socket paused): a reset that came first
		// would drop the request before the handler saw it.
		if !waitUntil(5*time.Second, func() bool { return srv.Stats().BytesIn >= int64(len(head)+64<<10) }) {
			t.Fatalf("reset %v: the server read %d bytes, not a window's worth", reset, srv.Stats().BytesIn)
		}
		if reset {
			c.(*net.TCPConn).SetLinger(0)
		}
		c.Close()
		if !waitUntil(5*time.Second, func() bool { return srv.Connections() == 0 }) {
			t.Fatalf("reset %v: a client gone while its upload was paused is still counted", reset)
		}
		close(start)
		if err := recvTimeout(t, readErr, 5*time.Second, "the reader's end"); !errors.Is(err, phttp.ErrClosed) {
			t.Errorf("reset %v: reader after the client left: %v, want ErrClosed", reset, err)
		}
	}
}
