package h2_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/stdhttp"
	"github.com/phttp-go/phttp/tests/testserver"
	"golang.org/x/net/http2"
)

// TestBridge: an http.Handler behind stdhttp.Handler sees an HTTP/2
// request as net/http's own HTTP/2 server shows it (Proto "HTTP/2.0",
// ProtoMajor 2, ProtoAtLeast(2, 0), Host from :authority, the TLS
// state with "h2"), reads a body and streams its answer with Flush.
func TestBridge(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /info", func(w http.ResponseWriter, r *http.Request) {
			alpn := ""
			if r.TLS != nil {
				alpn = r.TLS.NegotiatedProtocol
			}
			fmt.Fprintf(w, "%s %d.%d %v host=%s alpn=%s", r.Proto, r.ProtoMajor, r.ProtoMinor, r.ProtoAtLeast(2, 0), r.Host, alpn)
		})
		mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
			n, err := io.Copy(io.Discard, r.Body)
			fmt.Fprintf(w, "%d %v", n, err)
		})
		mux.HandleFunc("GET /flush", func(w http.ResponseWriter, r *http.Request) {
			for i := range 3 {
				fmt.Fprintf(w, "part %d;", i)
				w.(http.Flusher).Flush()
			}
		})
		mux.HandleFunc("GET /hijack", func(w http.ResponseWriter, r *http.Request) {
			// A stream is not a connection: net/http's HTTP/2 writer has
			// no Hijacker; the bridge's must refuse, and the stream go on.
			if _, _, err := w.(http.Hijacker).Hijack(); err == nil {
				t.Errorf("Hijack of an HTTP/2 stream succeeded")
				return
			}
			w.Write([]byte("not hijacked"))
		})
		s := start(t, m, &phttp.Server{Handler: stdhttp.Handler(mux)})
		c := h2Client(t, m)
		alpn := ""
		if m.tls {
			alpn = "h2"
		}
		if resp, body := get(t, c, s.URL+"/info"); resp.ProtoMajor != 2 || body != fmt.Sprintf("HTTP/2.0 2.0 true host=%s alpn=%s", s.Host, alpn) {
			t.Errorf("GET /info: %s %q", resp.Proto, body)
		}
		resp, err := c.Post(s.URL+"/echo", "application/octet-stream", testserver.Pattern(1<<20))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != fmt.Sprintf("%d <nil>", 1<<20) {
			t.Errorf("POST /echo: %d %q", resp.StatusCode, body)
		}
		if resp, body := get(t, c, s.URL+"/flush"); resp.ProtoMajor != 2 || body != "part 0;part 1;part 2;" {
			t.Errorf("GET /flush: %s %q", resp.Proto, body)
		}
		if resp, body := get(t, c, s.URL+"/hijack"); resp.StatusCode != 200 || body != "not hijacked" {
			t.Errorf("GET /hijack: %d %q", resp.StatusCode, body)
		}
		if st := s.Stats(); st.Accepted != 1 {
			t.Errorf("%d connections for one client", st.Accepted)
		}
	})
}

// TestShutdownGoAway: Shutdown sends GOAWAY naming the last stream it
// took; a stream in flight then (a detached answer) finishes whole,
// Shutdown returns once it has, the connection then ends, and a
// connection made after the GOAWAY is never served.
func TestShutdownGoAway(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		finish := make(chan struct{})
		s := start(t, m, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
			w.Detach()
			go func() {
				w.WriteString("first half;")
				w.Flush()
				<-finish
				w.WriteString("second half")
				w.Send()
			}()
		}})
		rc := dialRaw(t, s, m, 20*time.Second)
		rc.request(1, "GET", "/slow", nil)
		var a answer
		for a.body.Len() == 0 {
			f, err := rc.next()
			if err != nil {
				t.Fatalf("reading stream 1's first half: %v", err)
			}
			if !a.fold(1, f) {
				t.Fatalf("unexpected %s", describe(f))
			}
		}
		shut := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			shut <- s.Shutdown(ctx)
		}()
		// GOAWAY comes first, naming stream 1 as the last one processed.
		var gone *http2.GoAwayFrame
		for gone == nil {
			f, err := rc.next()
			if err != nil {
				t.Fatalf("waiting for GOAWAY: %v", err)
			}
			if g, ok := f.(*http2.GoAwayFrame); ok {
				gone = g
			} else if !a.fold(1, f) || a.ended || a.wasRST {
				t.Fatalf("before GOAWAY: %s", describe(f))
			}
		}
		// 1, or 2^31-1 first as RFC 9113 section 6.8 suggests for a
		// graceful close (then the real one follows); never below 1.
		if gone.LastStreamID < 1 || gone.ErrCode != http2.ErrCodeNo {
			t.Fatalf("GOAWAY last stream %d code %v, want at least 1 and NO_ERROR", gone.LastStreamID, gone.ErrCode)
		}
		// A connection made now is never served: Shutdown closed the
		// listener, so it is refused.
		if late, err := net.DialTimeout("tcp", s.Host, 2*time.Second); err == nil {
			late.Close()
			t.Errorf("a connection made after GOAWAY was accepted: Shutdown left the listener open")
		}
		select {
		case err := <-shut:
			t.Fatalf("Shutdown returned %v with a stream in flight", err)
		default:
		}
		close(finish)
		for !a.ended {
			f, err := rc.next()
			if err != nil {
				t.Fatalf("reading the rest of stream 1: %v (so far %q)", err, a.body.String())
			}
			if g, ok := f.(*http2.GoAwayFrame); ok && g.LastStreamID >= 1 && g.ErrCode == http2.ErrCodeNo {
				continue // the second GOAWAY of a graceful close
			}
			if !a.fold(1, f) || a.wasRST {
				t.Fatalf("after GOAWAY: %s", describe(f))
			}
		}
		if a.status != "200" || a.body.String() != "first half;second half" {
			t.Fatalf("stream 1: %s %q", a.status, a.body.String())
		}
		if err := <-shut; err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		// The connection ends (perhaps after a final GOAWAY).
		for {
			f, err := rc.next()
			if err != nil {
				break
			}
			if _, ok := f.(*http2.GoAwayFrame); !ok {
				t.Fatalf("after the last stream: %s", describe(f))
			}
		}
	})
}
