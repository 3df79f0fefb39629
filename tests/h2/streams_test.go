package h2_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// info answers what the server saw of the request.
func info(w *phttp.Response, r *phttp.Request) {
	alpn := ""
	if r.TLS != nil {
		alpn = r.TLS.NegotiatedProtocol
	}
	fmt.Fprintf(w, "%s %s %s host=%s q=%s alpn=%s", r.Proto, r.Method, r.Path, r.Host, r.RawQuery, alpn)
}

// TestProto: over h2 and h2c every stream reaches the handler as
// HTTP/2.0 with :method, :path and :authority in Method, Path and Host,
// and Go's client sees an HTTP/2 answer on one connection.
func TestProto(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		s := start(t, m, &phttp.Server{Handler: info})
		c := h2Client(t, m)
		alpn := ""
		if m.tls {
			alpn = "h2"
		}
		for i := range 3 {
			resp, body := get(t, c, fmt.Sprintf("%s/a/b?i=%d", s.URL, i))
			want := fmt.Sprintf("HTTP/2.0 GET /a/b host=%s q=i=%d alpn=%s", s.Host, i, alpn)
			if resp.StatusCode != 200 || resp.ProtoMajor != 2 || body != want {
				t.Fatalf("answer %d: %d %s %q, want 200 HTTP/2.0 %q", i, resp.StatusCode, resp.Proto, body, want)
			}
		}
		if st := s.Stats(); st.Accepted != 1 || st.Requests != 3 {
			t.Errorf("Stats: %d accepted, %d requests; want 1 connection carrying 3", st.Accepted, st.Requests)
		}
	})
}

// TestHTTP1OnSameListener: the listener that speaks HTTP/2 still serves
// HTTP/1.1 clients (ALPN "http/1.1" over TLS, or no preface on
// cleartext), and each client gets its own protocol.
func TestHTTP1OnSameListener(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		s := start(t, m, &phttp.Server{Handler: info})
		h1, h2 := h1Client(t, m), h2Client(t, m)
		for i := range 4 {
			c, wantProto, wantALPN := h1, "HTTP/1.1", "http/1.1"
			if i%2 == 1 {
				c, wantProto, wantALPN = h2, "HTTP/2.0", "h2"
			}
			if !m.tls {
				wantALPN = ""
			}
			resp, body := get(t, c, s.URL+"/x")
			want := fmt.Sprintf("%s GET /x host=%s q= alpn=%s", wantProto, s.Host, wantALPN)
			if resp.StatusCode != 200 || body != want {
				t.Fatalf("request %d: %d %s %q, want %q", i, resp.StatusCode, resp.Proto, body, want)
			}
		}
		if st := s.Stats(); st.Accepted != 2 {
			t.Errorf("%d connections for one HTTP/1.1 and one HTTP/2 keep-alive client", st.Accepted)
		}
	})
}

// TestConcurrentStreams: 200 requests at once from Go's client on one
// connection. The handler holds every answer (detached) until as many
// streams are open together as the server allows (200, or its
// SETTINGS_MAX_CONCURRENT_STREAMS if lower, which must be at least the
// 100 RFC 9113 recommends), then answers them all from goroutines; every
// body is the one its stream asked for.
func TestConcurrentStreams(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		const n = 200
		type pending struct {
			w    *phttp.Response
			path string
		}
		var (
			held    []pending // owned by the loop goroutine: the handler's
			arrived int       // the same; n+1 in all, with the first request
			open    atomic.Int64
			peak    atomic.Int64
			release atomic.Int64
		)
		release.Store(n)
		s := start(t, m, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
			w.Detach()
			held = append(held, pending{w, r.Path})
			arrived++
			if v := open.Add(1); v > peak.Load() {
				peak.Store(v)
			}
			if int64(len(held)) < release.Load() && arrived <= n {
				return // held until enough streams are open at once
			}
			for _, p := range held {
				go func() {
					open.Add(-1)
					p.w.WriteString("answer for " + p.path)
					p.w.Send()
				}()
			}
			held = held[:0]
		}})
		limit := dialRaw(t, s, m, 5*time.Second).maxStreams()
		if limit < 100 {
			t.Fatalf("SETTINGS_MAX_CONCURRENT_STREAMS %d: below the 100 RFC 9113 section 6.5.2 recommends", limit)
		}
		c := h2Client(t, m)
		// One request first, so that the 200 find the connection made:
		// Go's client dials once per request while it has none.
		release.Store(1)
		if _, body := get(t, c, s.URL+"/first"); body != "answer for /first" {
			t.Fatalf("first request: %q", body)
		}
		release.Store(int64(min(limit, n)))
		peak.Store(0)
		var (
			wg     sync.WaitGroup
			reused atomic.Int64
			errs   = make(chan error, n)
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
					if ci.Reused {
						reused.Add(1)
					}
				}}
				path := fmt.Sprintf("/stream/%d", i)
				req, _ := http.NewRequest("GET", s.URL+path, nil)
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
				resp, err := c.Do(req)
				if err != nil {
					errs <- fmt.Errorf("%s: %v", path, err)
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := "answer for " + path; err != nil || resp.ProtoMajor != 2 || string(body) != want {
					errs <- fmt.Errorf("%s: %s %q %v, want HTTP/2.0 %q", path, resp.Proto, body, err, want)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if st := s.Stats(); st.Accepted != 2 || st.Requests != n+1 {
			t.Errorf("Stats: %d connections (one of them the settings probe), %d requests; want 2 and %d", st.Accepted, st.Requests, n+1)
		}
		if r := reused.Load(); r != n {
			t.Errorf("Go's client reused its connection for %d of %d requests", r, n)
		}
		if p := peak.Load(); p < release.Load() {
			t.Errorf("at most %d streams were open at once, want %d", p, release.Load())
		}
	})
}

// sum is the hex SHA-256 of what r yields.
func sum(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// TestUpload: a 4 MiB body reaches the handler whole, through
// BodyReader on a goroutine (streamed, with back-pressure) and buffered
// in Body, with and without a content-length (Go's client sends none
// for a body of unknown length).
func TestUpload(t *testing.T) {
	const size = 4 << 20
	eachMode(t, func(t *testing.T, m mode) {
		s := start(t, m, &phttp.Server{
			StreamBody: func(r *phttp.Request) bool { return r.Path == "/streamed" },
			Handler: func(w *phttp.Response, r *phttp.Request) {
				if r.Path != "/streamed" {
					if !r.BodyDone {
						t.Errorf("buffered %s: handler called before the body ended", r.Path)
					}
					h := sha256.Sum256(r.Body)
					fmt.Fprintf(w, "%s %d %s", r.Proto, len(r.Body), hex.EncodeToString(h[:]))
					return
				}
				body := r.BodyReader()
				proto := r.Proto
				w.Detach()
				go func() {
					got, n, err := sum(body)
					if err != nil {
						w.Status = 500
						fmt.Fprintf(w, "reading: %v", err)
					} else {
						fmt.Fprintf(w, "%s %d %s", proto, n, got)
					}
					w.Send()
				}()
			},
		})
		c := h2Client(t, m)
		want := fmt.Sprintf("HTTP/2.0 %d %s", size, testserver.PatternSum(size))
		for _, path := range []string{"/streamed", "/buffered"} {
			for _, known := range []bool{true, false} {
				var body io.Reader = testserver.Pattern(size)
				if !known {
					body = io.MultiReader(body) // hides the length from Go's client
				}
				req, _ := http.NewRequest("POST", s.URL+path, body)
				if known {
					req.ContentLength = size
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Errorf("POST %s (length known: %v): %v", path, known, err)
					continue
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(got) != want {
					t.Errorf("POST %s (length known: %v): %d %q, want %q", path, known, resp.StatusCode, got, want)
				}
			}
		}
		if st := s.Stats(); st.Accepted != 1 {
			t.Errorf("%d connections for one client", st.Accepted)
		}
	})
}

// TestStreamedAnswer: a detached answer flushed piece by piece from
// another goroutine reaches the client piece by piece: the client reads
// piece i before the server writes piece i+1 (the goroutine waits for
// the client's word between pieces), while a second stream on the same
// connection is answered in the meantime.
func TestStreamedAnswer(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		const pieces = 8
		next := make(chan int, 1)
		done := make(chan error, 1)
		s := start(t, m, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
			if r.Path != "/pieces" {
				w.WriteString("other stream")
				return
			}
			w.SetHeader("Content-Type", "text/plain")
			w.Detach()
			go func() {
				for i := range pieces {
					if got := <-next; got != i {
						done <- fmt.Errorf("asked for piece %d, want %d", got, i)
						w.Abort()
						return
					}
					fmt.Fprintf(w, "piece %d;", i)
					if err := w.Flush(); err != nil {
						done <- fmt.Errorf("Flush of piece %d: %v", i, err)
						return
					}
				}
				done <- w.Send()
			}()
		}})
		c := h2Client(t, m)
		next <- 0 // the first piece may go with the head
		resp, err := c.Get(s.URL + "/pieces")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.ProtoMajor != 2 || resp.Header.Get("Content-Type") != "text/plain" {
			t.Fatalf("%s, Content-Type %q", resp.Proto, resp.Header.Get("Content-Type"))
		}
		for i := range pieces {
			want := fmt.Sprintf("piece %d;", i)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(resp.Body, got); err != nil || string(got) != want {
				t.Fatalf("piece %d: %q %v, want %q", i, got, err, want)
			}
			if i == 3 {
				// The connection is not blocked by the unfinished stream.
				if _, body := get(t, c, s.URL+"/other"); body != "other stream" {
					t.Fatalf("other stream: %q", body)
				}
			}
			if i+1 < pieces {
				next <- i + 1
			}
		}
		if rest, err := io.ReadAll(resp.Body); err != nil || len(rest) != 0 {
			t.Fatalf("after the last piece: %q %v, want the end of the body", rest, err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.Accepted != 1 {
			t.Errorf("%d connections for one client", st.Accepted)
		}
	})
}

// TestReadFrom: a detached answer copied with ReadFrom from a reader on a
// goroutine arrives whole over HTTP/2 (1 MiB: more than the initial
// flow-control window, so WINDOW_UPDATEs must keep it going).
func TestReadFrom(t *testing.T) {
	const size = 1 << 20
	eachMode(t, func(t *testing.T, m mode) {
		s := start(t, m, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
			w.Detach()
			go func() {
				if _, err := w.ReadFrom(testserver.Pattern(size)); err != nil {
					w.Abort()
					return
				}
				w.Send()
			}()
		}})
		resp, err := h2Client(t, m).Get(s.URL + "/file")
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := sum(resp.Body)
		resp.Body.Close()
		if err != nil || n != size || got != testserver.PatternSum(size) || resp.ProtoMajor != 2 {
			t.Fatalf("%s: %d bytes %v, sum ok %v", resp.Proto, n, err, got == testserver.PatternSum(size))
		}
	})
}

// TestCurl: curl --http2 over TLS (ALPN) and --http2-prior-knowledge on
// cleartext, a GET and a POST each.
func TestCurl(t *testing.T) {
	curl := curlPath(t)
	eachMode(t, func(t *testing.T, m mode) {
		s := start(t, m, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
			fmt.Fprintf(w, "%s %s %s %d:%s", r.Proto, r.Method, r.Path, len(r.Body), r.Body)
		}})
		flag := "--http2-prior-knowledge"
		if m.tls {
			flag = "--http2"
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{s.URL + "/get"}, "HTTP/2.0 GET /get 0: v2"},
			{[]string{"--data-binary", "hello curl", s.URL + "/post"}, "HTTP/2.0 POST /post 10:hello curl v2"},
		} {
			args := append([]string{"-sS", "-k", "--max-time", "20", flag, "-w", " v%{http_version}"}, tc.args...)
			out, err := runCurl(t, curl, args...)
			if err != nil || out != tc.want {
				t.Errorf("curl %s: %q %v, want %q", strings.Join(args, " "), out, err, tc.want)
			}
		}
	})
}
