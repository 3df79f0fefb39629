package async

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// downloadHandler answers GET /download?seed=S&size=N&piece=P (and
// optional cl=1 for a Content-Length, close=1 for Connection: close) with
// a detached answer that a new goroutine streams with streamPattern. The
// outcome of each stream (nil or the first error of Flush/Send) goes to
// results if it is not nil.
func downloadHandler(results chan<- error) phttp.Handler {
	return func(w *phttp.Response, r *phttp.Request) {
		if r.Type != phttp.HTTP {
			return
		}
		q := r.Query()
		seed, _ := strconv.Atoi(q.Get("seed"))
		size, _ := strconv.Atoi(q.Get("size"))
		piece, _ := strconv.Atoi(q.Get("piece"))
		if piece <= 0 {
			piece = 64 * kib
		}
		w.SetHeader("Content-Type", "application/octet-stream")
		if q.Get("cl") == "1" {
			w.SetHeader("Content-Length", strconv.Itoa(size))
		}
		if q.Get("close") == "1" {
			w.SetHeader("Connection", "close")
		}
		w.Detach()
		go func() {
			err := streamPattern(w, seed, size, piece)
			if results != nil {
				results <- err
			}
		}()
	}
}

// TestSlowDownloadsHeapBound streams 16 detached 5 MiB downloads, each
// from its own goroutine in 64 KiB Flushes, to 16 clients that read
// slowly, checks every byte, and samples the heap meanwhile: a slow reader
// may cost SendQueueBytes, so the heap must stay below 16 × SendQueueBytes
// plus a small constant instead of growing towards the 80 MiB streamed.
func TestSlowDownloadsHeapBound(t *testing.T) {
	const (
		streams   = 16
		size      = 5 * mib
		piece     = 64 * kib
		queue     = 256 * kib
		readBuf   = 16 * kib
		readRate  = 4 * mib // bytes per second per client: 5 MiB in ~1.25 s
		gcPercent = 25
	)
	results := make(chan error, streams)
	s := testserver.Start(t, &phttp.Server{Handler: downloadHandler(results), SendQueueBytes: queue})

	// Collect often, so that HeapAlloc follows what is retained rather than
	// garbage waiting for the next cycle; the bound allows for the 10 %.
	old := debug.SetGCPercent(gcPercent)
	defer debug.SetGCPercent(old)
	h := testserver.StartHeapSampler(2 * time.Millisecond)

	start := time.Now()
	errs := make(chan error, streams)
	for i := range streams {
		conn := s.Dial(t, 30*time.Second)
		go func() {
			errs <- func() error {
				if _, err := io.WriteString(conn, getRequest(fmt.Sprintf("/download?seed=%d&size=%d&piece=%d", i, size, piece))); err != nil {
					return err
				}
				br := bufio.NewReaderSize(conn, readBuf)
				resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
				if err != nil {
					return fmt.Errorf("stream %d: %w", i, err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != 200 || resp.ContentLength != -1 || len(resp.TransferEncoding) != 1 {
					return fmt.Errorf("stream %d: status %d, length %d, transfer-encoding %v; want 200 chunked", i, resp.StatusCode, resp.ContentLength, resp.TransferEncoding)
				}
				t0 := time.Now()
				n, err := readPatternBody(resp.Body, i, readBuf, func(n int64) {
					// Read slowly: at most readRate bytes per second.
					if ahead := time.Duration(n)*time.Second/readRate - time.Since(t0); ahead > 0 {
						time.Sleep(ahead)
					}
				})
				if err != nil {
					return fmt.Errorf("stream %d: after %d bytes: %w", i, n, err)
				}
				if n != size {
					return fmt.Errorf("stream %d: got %d bytes, want %d", i, n, size)
				}
				return nil
			}()
		}()
	}
	for range streams {
		if err := recvTimeout(t, errs, 30*time.Second, "the downloads"); err != nil {
			t.Error(err)
		}
	}
	for range streams {
		if err := recvTimeout(t, results, 10*time.Second, "the streaming goroutines"); err != nil {
			t.Errorf("server side: %v", err)
		}
	}
	h.Finish()
	elapsed := time.Since(start)

	// Each stream holds, beyond its queue, its own 64 KiB piece (Body) and
	// one 64 KiB copy waiting for credit inside Flush; each client a
	// bufio.Reader and a read buffer. GOGC lets the heap pass what is live
	// by gcPercent (and a little more while a cycle marks); on top, 2 MiB
	// for the loop's buffers, the runtime and the test itself. A server
	// that queued without bound would reach 80 MiB; one that used the
	// default 4 MiB queue, 64 MiB.
	perStream := uint64(queue + 2*piece + 2*readBuf + 4*kib)
	bound := uint64(float64(streams*perStream)*(1+gcPercent/100.0)) + 2*mib
	grewAlloc := h.AllocGrowth()
	grewInuse := h.InuseGrowth()
	t.Logf("%d × %d MiB in %v (%.0f MB/s); heap peak above baseline: HeapAlloc %.2f MiB, HeapInuse %.2f MiB; bound %.2f MiB (16 × SendQueueBytes = %.2f MiB); %d samples",
		streams, size/mib, elapsed.Round(time.Millisecond), float64(streams*size)/elapsed.Seconds()/1e6,
		float64(grewAlloc)/mib, float64(grewInuse)/mib, float64(bound)/mib, float64(streams*queue)/mib, h.Samples())
	if grewAlloc > bound {
		t.Errorf("heap grew by %d bytes (HeapAlloc), over the bound %d: slow readers cost more than SendQueueBytes each", grewAlloc, bound)
	}
}

// TestDisconnectMidDownload: a client that reads 1 MiB of an endless
// detached download and then disconnects makes the streaming goroutine's
// Flush return ErrClosed within a second.
func TestDisconnectMidDownload(t *testing.T) {
	for _, mode := range []string{"close", "reset"} {
		t.Run(mode, func(t *testing.T) {
			results := make(chan error, 1)
			s := testserver.Start(t, &phttp.Server{Handler: downloadHandler(results)})
			conn := s.Dial(t, 20*time.Second)
			io.WriteString(conn, getRequest("/download?seed=7&size=100000000000&piece=65536"))
			br := bufio.NewReaderSize(conn, 16*kib)
			resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := readPatternBody(io.LimitReader(resp.Body, mib), 7, 16*kib, nil); err != nil || n != mib {
				t.Fatalf("read %d bytes: %v", n, err)
			}
			switch mode {
			case "reset":
				conn.(*net.TCPConn).SetLinger(0)
			}
			closed := time.Now()
			conn.Close()
			err = recvTimeout(t, results, 5*time.Second, "Flush to fail after the client left")
			took := time.Since(closed)
			t.Logf("Flush returned %v %v after the client closed", err, took.Round(time.Millisecond))
			if !errors.Is(err, phttp.ErrClosed) {
				t.Errorf("streaming ended with %v, want ErrClosed", err)
			}
			if took > time.Second {
				t.Errorf("Flush returned ErrClosed %v after the client closed, want within 1s", took)
			}
		})
	}
}

// TestCloseKeepsQueuedBytes: a detached answer of several MiB that ends
// with Connection: close is finished (Send returns) while most of it still
// waits in the queue; the client must still receive every byte, then EOF.
func TestCloseKeepsQueuedBytes(t *testing.T) {
	const size = 6 * mib
	cases := []struct {
		name, query, proto string
	}{
		{"chunked", "close=1", "HTTP/1.1"},
		{"content-length", "close=1&cl=1", "HTTP/1.1"},
		{"http1.0-until-close", "", "HTTP/1.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			results := make(chan error, 1)
			// The queue takes the whole answer, so that Send returns while
			// nearly all of it is still queued.
			s := testserver.Start(t, &phttp.Server{Handler: downloadHandler(results), SendQueueBytes: 8 * mib})
			conn, err := dialSmallBuffer("tcp", s.Host, 8*kib)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(30 * time.Second))
			fmt.Fprintf(conn, "GET /download?seed=3&size=%d&%s %s\r\nHost: localhost\r\n\r\n", size, tc.query, tc.proto)
			if err := recvTimeout(t, results, 10*time.Second, "Send"); err != nil {
				t.Fatalf("server side: %v", err)
			}
			br := bufio.NewReaderSize(conn, 16*kib)
			resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
			if err != nil {
				t.Fatal(err)
			}
			if !resp.Close {
				t.Errorf("answer does not announce the close (Connection: %q)", resp.Header.Get("Connection"))
			}
			n, err := readPatternBody(resp.Body, 3, 16*kib, nil)
			if err != nil || n != size {
				t.Fatalf("received %d of %d bytes: %v", n, size, err)
			}
			// After the answer: a clean end of stream, not a reset.
			if k, err := br.Read(make([]byte, 1)); k != 0 || err != io.EOF {
				t.Errorf("after the answer: %d bytes, %v; want EOF", k, err)
			}
		})
	}
}

// TestDetachedContentLength: with Content-Length set, Flush sends the body
// raw (no chunked coding) and the connection stays usable; a Send whose
// total differs from the length fails with ErrContentLength and closes
// the connection without putting more than the declared bytes on the wire.
func TestDetachedContentLength(t *testing.T) {
	type step struct {
		write int  // bytes appended to Body
		send  bool // Send instead of Flush
	}
	cases := []struct {
		name     string
		declared int
		steps    []step
		wantErr  error // from the last step
	}{
		{"exact", 300000, []step{{100000, false}, {100000, false}, {100000, true}}, nil},
		{"exact-in-send", 1000, []step{{1000, true}}, nil},
		{"short", 1000, []step{{500, false}, {0, true}}, phttp.ErrContentLength},
		{"long-send", 1000, []step{{600, false}, {900, true}}, phttp.ErrContentLength},
		{"long-flush", 1000, []step{{1500, false}}, phttp.ErrContentLength},
		{"long-unflushed-send", 1000, []step{{1500, true}}, phttp.ErrContentLength},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			outcome := make(chan error, 1)
			var once sync.Once
			s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
				if r.Path != "/cl" {
					w.WriteString("next")
					return
				}
				w.SetHeader("Content-Length", strconv.Itoa(tc.declared))
				w.Detach()
				go once.Do(func() {
					off := 0
					var err error
					for _, st := range tc.steps {
						w.Body = appendPattern(w.Body, int64(off), 5, st.write)
						off += st.write
						if st.send {
							err = w.Send()
						} else {
							err = w.Flush()
						}
						if err != nil {
							break
						}
					}
					outcome <- err
				})
			}})
			conn := s.Dial(t, 10*time.Second)
			io.WriteString(conn, getRequest("/cl"))
			err := recvTimeout(t, outcome, 5*time.Second, "the detached answer")
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("last Flush/Send returned %v, want %v", err, tc.wantErr)
			}
			br := bufio.NewReader(conn)
			var head strings.Builder
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("reading the head: %v after %q", err, head.String())
				}
				if line == "\r\n" {
					break
				}
				head.WriteString(line)
			}
			h := strings.ToLower(head.String())
			if !strings.Contains(h, "\r\ncontent-length: "+strconv.Itoa(tc.declared)+"\r\n") || strings.Contains(h, "transfer-encoding") {
				t.Errorf("head does not declare a raw Content-Length of %d:\n%s", tc.declared, head.String())
			}
			if tc.wantErr == nil {
				body := make([]byte, tc.declared)
				if _, err := io.ReadFull(br, body); err != nil || checkPattern(body, 0, 5) >= 0 {
					t.Fatalf("body: %v, or not the %d-byte pattern sent raw", err, tc.declared)
				}
				io.WriteString(conn, getRequest("/next"))
				resp, next, err := readResponse(br, "GET")
				if err != nil || resp.StatusCode != 200 || string(next) != "next" {
					t.Errorf("the next request on the connection: %v %q (%v)", resp, next, err)
				}
				return
			}
			// A failed answer: the connection is closed, and nothing beyond
			// the declared length went out (it would be read as the start
			// of the next response).
			conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			body, rerr := io.ReadAll(br)
			var ne net.Error
			if errors.As(rerr, &ne) && ne.Timeout() {
				t.Errorf("connection still open 3s after ErrContentLength")
			}
			if len(body) > tc.declared {
				t.Errorf("%d body bytes on the wire for a declared Content-Length of %d", len(body), tc.declared)
			}
		})
	}
}

// TestDisconnectDuringIdleStream: an event stream (a detached answer that
// flushes a small event every 300 ms, as for server-sent events) whose
// client goes away between two events. The next Flushes must return
// ErrClosed within a second, and meanwhile the loop must not spin: the
// closed connection is in the middle of a detached answer, where the loop
// reads nothing, and the peer's FIN must not keep it busy.
func TestDisconnectDuringIdleStream(t *testing.T) {
	const every = 300 * time.Millisecond
	results := make(chan error, 1)
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		w.SetHeader("Content-Type", "text/event-stream")
		w.Detach()
		go func() {
			results <- func() error {
				for i := range 100 {
					fmt.Fprintf(w, "data: event %d\n\n", i)
					if err := w.Flush(); err != nil {
						return err
					}
					time.Sleep(every) // the pace of the stream
				}
				return errors.New("100 events went to a client that had left")
			}()
		}()
	}})
	conn := s.Dial(t, 10*time.Second)
	io.WriteString(conn, getRequest("/events"))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "data: event 0\n" {
		t.Fatalf("first event: %q, %v", line, err)
	}
	// Nothing is left unread (the first event was all there was), so the
	// close sends a FIN, not a reset.
	cpu0 := processCPU()
	closed := time.Now()
	conn.Close()
	err = recvTimeout(t, results, 5*time.Second, "Flush to fail after the client left")
	took := time.Since(closed)
	cpu := processCPU() - cpu0
	t.Logf("Flush returned %v %v after the client closed; the process used %v of CPU meanwhile", err, took.Round(time.Millisecond), cpu.Round(time.Millisecond))
	if !errors.Is(err, phttp.ErrClosed) || took > time.Second {
		t.Errorf("the stream ended with %v %v after the client closed; want ErrClosed within 1s", err, took)
	}
	if cpu > took/2 {
		t.Errorf("the process used %v of CPU in the %v after the client closed: the loop spins on the closed connection", cpu, took)
	}
}
