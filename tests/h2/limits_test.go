package h2_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
	"golang.org/x/net/http2"
)

// TestHostAllowList: the allow-list checks :authority on every stream: a
// rebinding name gets 421 (and the handler never runs for it) while the
// loopback names pass, all on one connection.
func TestHostAllowList(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		s := start(t, m, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
			if strings.HasPrefix(r.Host, "evil") {
				t.Errorf("handler called for Host %q", r.Host)
			}
			w.WriteString("host " + r.Host)
		}})
		c := h2Client(t, m)
		_, port, _ := strings.Cut(s.Host, ":")
		for _, tc := range []struct {
			host   string
			status int
		}{
			{"evil.example:" + port, 421},
			{"localhost:" + port, 200},
			{"evil.example", 421},
			{s.Host, 200},
			{"[::1]:" + port, 200},
		} {
			req, _ := http.NewRequest("GET", s.URL+"/h", nil)
			req.Host = tc.host
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("Host %s: %v", tc.host, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || resp.ProtoMajor != 2 {
				t.Errorf("Host %s: %d %s %q, want %d", tc.host, resp.StatusCode, resp.Proto, body, tc.status)
			}
			if tc.status == 200 && string(body) != "host "+tc.host {
				t.Errorf("Host %s: body %q", tc.host, body)
			}
		}
		if st := s.Stats(); st.Accepted != 1 || st.Refused < 2 {
			t.Errorf("Stats: %d connections, %d refused; want 1 and at least 2", st.Accepted, st.Refused)
		}
	})
}

// TestMaxBodyBytes: a body past MaxBodyBytes is refused per stream: 413
// at once for a content-length over it; 413 or RST_STREAM for a body of
// unknown length once it goes past, buffered or streamed (where
// BodyReader reports ErrBodyTooLarge). The connection goes on serving.
func TestMaxBodyBytes(t *testing.T) {
	const limit = 256 << 10
	eachMode(t, func(t *testing.T, m mode) {
		readerErr := make(chan error, 4)
		s := start(t, m, &phttp.Server{
			MaxBodyBytes: limit,
			StreamBody:   func(r *phttp.Request) bool { return r.Path == "/streamed" },
			Handler: func(w *phttp.Response, r *phttp.Request) {
				if r.Path != "/streamed" {
					fmt.Fprintf(w, "%d bytes", len(r.Body))
					return
				}
				body := r.BodyReader()
				w.Detach()
				go func() {
					_, n, err := sum(body)
					readerErr <- err
					if err != nil {
						w.Status = 413
					}
					fmt.Fprintf(w, "%d bytes", n)
					w.Send()
				}()
			},
		})
		c := h2Client(t, m)
		for _, path := range []string{"/buffered", "/streamed"} {
			// Within the limit.
			resp, err := c.Post(s.URL+path, "application/octet-stream", testserver.Pattern(limit))
			if err != nil {
				t.Fatalf("POST %s of %d: %v", path, limit, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := fmt.Sprintf("%d bytes", limit); resp.StatusCode != 200 || string(body) != want {
				t.Errorf("POST %s of %d: %d %q, want %q", path, limit, resp.StatusCode, body, want)
			}
			if path == "/streamed" {
				if err := <-readerErr; err != nil {
					t.Errorf("BodyReader within the limit: %v", err)
				}
			}
			for _, known := range []bool{true, false} {
				var body io.Reader = testserver.Pattern(4 * limit)
				if !known {
					body = io.MultiReader(body)
				}
				req, _ := http.NewRequest("POST", s.URL+path, body)
				if known {
					req.ContentLength = 4 * limit
				}
				resp, err := c.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				var se http2.StreamError
				switch {
				case err == nil && resp.StatusCode == 413:
				case err != nil && !known && (errors.As(err, &se) || strings.Contains(err.Error(), "stream error")):
					t.Logf("POST %s past the limit, no length: %v", path, err)
				default:
					t.Errorf("POST %s of %d (length known: %v): %v %v, want 413 or a stream reset", path, 4*limit, known, statusOf(resp), err)
				}
				if path == "/streamed" && !known {
					select {
					case err := <-readerErr:
						if !errors.Is(err, phttp.ErrBodyTooLarge) {
							t.Errorf("BodyReader past the limit: %v, want ErrBodyTooLarge", err)
						}
					case <-time.After(10 * time.Second):
						t.Errorf("BodyReader past the limit did not return within 10 s")
					}
				}
				if path == "/streamed" && known {
					// Refused from the head: the handler may not have run.
					select {
					case err := <-readerErr:
						if !errors.Is(err, phttp.ErrBodyTooLarge) {
							t.Errorf("BodyReader for a length past the limit: %v", err)
						}
					default:
					}
				}
			}
		}
		// Still one connection, still serving.
		resp, body := get(t, c, s.URL+"/buffered")
		if resp.StatusCode != 200 || body != "0 bytes" {
			t.Errorf("after the refusals: %d %q", resp.StatusCode, body)
		}
		if st := s.Stats(); st.Accepted != 1 {
			t.Errorf("%d connections: a refused body must cost its stream, not the connection", st.Accepted)
		}
	})
}

func statusOf(resp *http.Response) any {
	if resp == nil {
		return "no response"
	}
	return resp.StatusCode
}

// TestClientCancel: a client that gives up on a stream (RST_STREAM
// CANCEL from Go's client) ends that request's Context while its answer
// is detached, and only that one: the connection and its other streams
// go on.
func TestClientCancel(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		started := make(chan struct{}, 1)
		ended := make(chan error, 1)
		s := start(t, m, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
			if r.Path != "/wait" {
				w.WriteString("ok")
				return
			}
			ctx := r.Context()
			w.Detach()
			go func() {
				started <- struct{}{}
				select {
				case <-ctx.Done():
					ended <- context.Cause(ctx)
				case <-time.After(20 * time.Second):
					ended <- errors.New("Context not done 20 s after the client cancelled")
				}
				w.Abort() // nobody is listening; must not disturb the connection
			}()
		}})
		c := h2Client(t, m)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/wait", nil)
		errc := make(chan error, 1)
		go func() {
			resp, err := c.Do(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			errc <- err
		}()
		<-started
		cancel()
		if err := <-errc; err == nil {
			t.Errorf("the cancelled request succeeded")
		}
		cause := <-ended
		if cause == nil || errors.Is(cause, phttp.ErrAnswerSent) || errors.Is(cause, phttp.ErrServerStopped) || strings.Contains(cause.Error(), "20 s") {
			t.Fatalf("the request's Context after the client cancelled: %v", cause)
		}
		t.Logf("cause: %v", cause)
		if resp, body := get(t, c, s.URL+"/next"); resp.StatusCode != 200 || body != "ok" {
			t.Errorf("after the cancel: %d %q", resp.StatusCode, body)
		}
		if st := s.Stats(); st.Accepted != 1 {
			t.Errorf("%d connections: a cancelled stream must not cost the connection", st.Accepted)
		}
	})
}

// curlPath finds curl (with HTTP/2: libcurl built with nghttp2), or
// skips the test.
func curlPath(t *testing.T) string {
	p, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl on PATH")
	}
	out, err := exec.Command(p, "--version").Output()
	if err != nil || !strings.Contains(string(out), "HTTP2") {
		t.Skipf("curl without HTTP2 support: %s", out)
	}
	return p
}

// runCurl runs curl with args (bounded by a context of 30 s) and returns
// its standard output.
func runCurl(t *testing.T, curl string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("%v: %s", err, stderr.String())
	}
	return string(out), err
}
