package h2_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/stdhttp"
	"golang.org/x/net/http2"
)

// trailerHandler answers natively with trailers: whole (the loop sends
// it), detached with pieces flushed before the end, detached with an
// empty body, HEAD, and with refused and malformed names among them.
func trailerHandler(w *phttp.Response, r *phttp.Request) {
	setTrailer := func() {
		w.Trailer = phttp.Header{{Name: "X-Sum", Value: "42"}, {Name: "X-Count", Value: "1"}, {Name: "X-Count", Value: "2"},
			{Name: "Content-Type", Value: "refused"}, {Name: "Bad Name", Value: "dropped"}, {Name: "X-Split", Value: "a\r\nInjected: 1"}}
	}
	switch r.Path {
	case "/whole":
		w.WriteString("hello")
		setTrailer()
	case "/detached", "/detached-empty":
		w.Detach()
		go func() {
			if r.Path == "/detached" {
				w.WriteString(strings.Repeat("z", 40<<10)) // past one DATA frame
				w.Flush()
				w.WriteString("tail")
			}
			setTrailer()
			w.Send()
		}()
	case "/none":
		w.WriteString("plain")
	}
}

// TestTrailersNative: a Response's Trailer ends an HTTP/2 stream in a
// HEADERS frame with END_STREAM after the body (none of the DATA frames
// ends it), which Go's client reads as resp.Trailer: refused names
// (Content-Type) and names that are not tokens are left out, a value
// cannot inject a field, and an answer without a Trailer ends on its
// DATA frame as before. HEAD carries none.
func TestTrailersNative(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		s := start(t, m, &phttp.Server{Handler: trailerHandler})
		c := h2Client(t, m)
		want := http.Header{"X-Sum": {"42"}, "X-Count": {"1", "2"}, "X-Split": {"a  Injected: 1"}}
		for path, body := range map[string]string{"/whole": "hello", "/detached": strings.Repeat("z", 40<<10) + "tail", "/detached-empty": ""} {
			resp, got := get(t, c, s.URL+path)
			if got != body || !reflect.DeepEqual(resp.Trailer, want) {
				t.Errorf("GET %s: %d body bytes, trailer %v; want %d bytes, trailer %v", path, len(got), resp.Trailer, len(body), want)
			}
		}
		req, _ := http.NewRequest("HEAD", s.URL+"/whole", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(resp.Trailer) != 0 {
			t.Errorf("HEAD /whole: trailer %v, want none", resp.Trailer)
		}

		// The frames: DATA without END_STREAM, then the trailer's HEADERS
		// with it; and for an answer without trailers, END_STREAM on DATA.
		rc := dialRaw(t, s, m, 10*time.Second)
		for i, path := range []string{"/whole", "/detached-empty", "/none"} {
			id := uint32(2*i + 1)
			rc.request(id, "GET", path, nil)
			var frames []string
			for {
				f, err := rc.next()
				if err != nil {
					t.Fatalf("%s: %v after %v", path, err, frames)
				}
				if f.Header().StreamID != id {
					continue
				}
				d := describe(f)
				if hf, ok := f.(*http2.MetaHeadersFrame); ok {
					d = fmt.Sprintf("HEADERS end=%v pseudo=%d fields=%d", hf.StreamEnded(), len(hf.PseudoFields()), len(hf.RegularFields()))
				}
				frames = append(frames, d)
				if f.Header().Flags.Has(http2.FlagDataEndStream) {
					break
				}
			}
			var wantFrames []string
			switch path {
			case "/whole":
				wantFrames = []string{"HEADERS end=false pseudo=1", "DATA stream=1 len=5 end=false", "HEADERS end=true pseudo=0 fields=4"}
			case "/detached-empty":
				wantFrames = []string{"HEADERS end=false pseudo=1", "HEADERS end=true pseudo=0 fields=4"}
			case "/none":
				wantFrames = []string{"HEADERS end=false pseudo=1", "DATA stream=5 len=5 end=true"}
			}
			if len(frames) != len(wantFrames) {
				t.Fatalf("%s: frames %q, want %q", path, frames, wantFrames)
			}
			for j := range frames {
				if !strings.HasPrefix(frames[j], wantFrames[j]) {
					t.Errorf("%s: frame %d is %q, want %q", path, j, frames[j], wantFrames[j])
				}
			}
		}
	})
}

// TestTrailersBridgeAgainstNetHTTP: an http.Handler's trailers, declared
// or named with http.TrailerPrefix, reach Go's HTTP/2 client through the
// bridge as they do from net/http's own HTTP/2 server (h2c).
func TestTrailersBridgeAgainstNetHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "hello")
		w.Header().Set("X-Sum", "5")
	})
	mux.HandleFunc("/streamed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		w.Write(bytes.Repeat([]byte("s"), 70<<10))
		w.(http.Flusher).Flush()
		w.Header().Set("X-Sum", "71680")
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
	})
	mux.HandleFunc("/unset", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Never")
		io.WriteString(w, "body")
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	ref := &http.Server{Handler: mux, Protocols: &p}
	go ref.Serve(l)
	t.Cleanup(func() { ref.Close() })
	m := mode{"h2c", false}
	for name, h := range map[string]phttp.Handler{"Handler": stdhttp.Handler(mux), "OnLoop": stdhttp.OnLoop(mux)} {
		s := start(t, m, &phttp.Server{Handler: h})
		c := h2Client(t, m)
		for _, path := range []string{"/declared", "/streamed", "/unset"} {
			want, wantBody := get(t, c, "http://"+l.Addr().String()+path)
			got, gotBody := get(t, c, s.URL+path)
			if gotBody != wantBody || !reflect.DeepEqual(got.Trailer, want.Trailer) {
				t.Errorf("%s %s: %d body bytes, trailer %v; net/http: %d bytes, trailer %v", name, path, len(gotBody), got.Trailer, len(wantBody), want.Trailer)
			}
			if path == "/streamed" && got.Trailer.Get("X-Late") != "yes" {
				t.Errorf("%s %s: trailer %v, want X-Late yes", name, path, got.Trailer)
			}
		}
	}
}
