package stdhttp_test

import (
	"bufio"
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
	"github.com/phttp-go/phttp/tests/testserver"
)

// trailerMux answers with trailers every way net/http lets a handler set
// them: declared in the head's "Trailer" field and set after the body
// (small, large, after a Flush, never), named with http.TrailerPrefix,
// and with a Content-Length that leaves no place for them.
func trailerMux() *http.ServeMux {
	mux := http.NewServeMux()
	declared := func(w http.ResponseWriter, body string, flush bool) {
		w.Header().Set("Trailer", "X-Sum, X-Count")
		io.WriteString(w, body)
		if flush {
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Sum", fmt.Sprint(len(body)))
		w.Header().Add("X-Count", "1")
		w.Header().Add("X-Count", "2")
		w.Header().Set("Content-Length", "999") // neither declared nor prefixed: goes nowhere
	}
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) { declared(w, "hello", false) })
	mux.HandleFunc("/large", func(w http.ResponseWriter, r *http.Request) { declared(w, strings.Repeat("x", 64<<10), false) })
	mux.HandleFunc("/flushed", func(w http.ResponseWriter, r *http.Request) { declared(w, "early", true) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { declared(w, "", false) })
	mux.HandleFunc("/unset", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Never")
		io.WriteString(w, "body")
	})
	prefixed := func(w http.ResponseWriter, body string) {
		io.WriteString(w, body)
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
		w.Header().Set(http.TrailerPrefix+"X-Bad", "a\r\nInjected: 1")
	}
	// Set after the head: a small answer has no place for them (its head
	// said nothing of trailers), a streamed one does.
	mux.HandleFunc("/prefixed", func(w http.ResponseWriter, r *http.Request) { prefixed(w, "body") })
	mux.HandleFunc("/prefixed-large", func(w http.ResponseWriter, r *http.Request) { prefixed(w, strings.Repeat("y", 8<<10)) })
	mux.HandleFunc("/prefixed-flushed", func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		prefixed(w, "body")
	})
	mux.HandleFunc("/length", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		w.Header().Set("Content-Length", "4")
		io.WriteString(w, "body")
		w.Header().Set("X-Sum", "4")
	})
	return mux
}

// trailerOutcome is what a client relies on of an answer with trailers.
type trailerOutcome struct {
	Status   int
	Body     string
	Chunked  bool
	Trailer  http.Header
	Injected bool // a trailer value split into a field of its own
}

func (o trailerOutcome) String() string {
	return fmt.Sprintf("%d, %d body bytes, chunked %v, trailer %v, injected %v", o.Status, len(o.Body), o.Chunked, o.Trailer, o.Injected)
}

// fetchTrailers asks addr for path over HTTP/1.1 (or HTTP/1.0) with a
// fresh connection and reads the whole answer, trailers included.
func fetchTrailers(t *testing.T, addr, method, path, proto string) trailerOutcome {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s %s %s\r\nHost: localhost\r\n\r\n", method, path, proto)
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s %s: %v", method, path, proto, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s %s: body: %v", method, path, proto, err)
	}
	o := trailerOutcome{Status: resp.StatusCode, Body: string(body), Chunked: len(resp.TransferEncoding) > 0, Trailer: resp.Trailer}
	if _, ok := resp.Trailer["Injected"]; ok {
		o.Injected = true
	}
	if len(o.Trailer) == 0 {
		o.Trailer = nil
	}
	return o
}

// TestTrailersAgainstNetHTTP: a handler's trailers reach a client through
// the bridge as they do from net/http's own server, through Handler and
// OnLoop alike: the same fields with the same values, the same framing
// (chunked even for a small answer, since a trailer was declared), none
// on HEAD, on HTTP/1.0 or with a Content-Length, and no value able to
// inject a field.
func TestTrailersAgainstNetHTTP(t *testing.T) {
	mux := trailerMux()
	want := startNetHTTP(t, mux)
	bridges := map[string]string{
		"Handler": testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(mux)}).Host,
		"OnLoop":  testserver.Start(t, &phttp.Server{Handler: stdhttp.OnLoop(mux)}).Host,
	}
	for _, path := range []string{"/small", "/large", "/flushed", "/empty", "/unset", "/prefixed", "/prefixed-large", "/prefixed-flushed", "/length"} {
		for _, rq := range [][2]string{{"GET", "HTTP/1.1"}, {"HEAD", "HTTP/1.1"}, {"GET", "HTTP/1.0"}} {
			exp := fetchTrailers(t, want, rq[0], path, rq[1])
			if exp.Injected {
				t.Fatalf("net/http let a trailer value inject a field on %s %s", rq[0], path)
			}
			for name, addr := range bridges {
				got := fetchTrailers(t, addr, rq[0], path, rq[1])
				if !reflect.DeepEqual(got, exp) {
					t.Errorf("%s %s %s %s:\n got %s\nwant %s (net/http)", name, rq[0], path, rq[1], got, exp)
				}
			}
		}
	}
	// The cases the comparison rests on: trailers do arrive.
	if got := fetchTrailers(t, bridges["Handler"], "GET", "/small", "HTTP/1.1"); got.Trailer.Get("X-Sum") != "5" || len(got.Trailer.Values("X-Count")) != 2 {
		t.Errorf("GET /small through the bridge: trailer %v, want X-Sum 5 and two X-Count", got.Trailer)
	}
	if got := fetchTrailers(t, bridges["Handler"], "GET", "/prefixed-large", "HTTP/1.1"); got.Trailer.Get("X-Late") != "yes" {
		t.Errorf("GET /prefixed-large through the bridge: trailer %v, want X-Late yes", got.Trailer)
	}
}
