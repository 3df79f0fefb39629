package http_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// trailerAnswers answers with a Trailer each way an answer can end: whole
// (the loop sends it), detached sent at once, detached after a Flush,
// with a Content-Length of the handler's, as 204, and with an empty but
// non-nil Trailer.
func trailerAnswers(w *phttp.Response, r *phttp.Request) {
	set := func() {
		w.Trailer = phttp.Header{{Name: "X-Sum", Value: "42"}, {Name: "X-Count", Value: "1"}, {Name: "X-Count", Value: "2"},
			{Name: "Content-Length", Value: "9"}, {Name: "Bad Name", Value: "dropped"}, {Name: "X-Split", Value: "a\r\nInjected: 1"}}
	}
	switch r.Path {
	case "/whole":
		w.WriteString("hello")
		set()
	case "/length":
		w.SetHeader("Content-Length", "5")
		w.WriteString("hello")
		set()
	case "/nocontent":
		w.Status = 204
		set()
	case "/empty-trailer":
		w.WriteString("hello")
		w.Trailer = phttp.Header{}
	case "/detached", "/flushed", "/detached-length":
		w.Detach()
		go func() {
			if r.Path == "/detached-length" {
				w.SetHeader("Content-Length", "5")
			}
			w.WriteString("hel")
			if r.Path != "/detached" {
				w.Flush()
			}
			w.WriteString("lo")
			set()
			w.Send()
		}()
	}
}

// rawAnswer sends one request line on a fresh connection and returns
// everything the server sent until it closed (Connection: close).
func rawAnswer(t *testing.T, s *testserver.Running, method, path, proto string) string {
	t.Helper()
	c := s.Dial(t, 10*time.Second)
	fmt.Fprintf(c, "%s %s %s\r\nHost: localhost\r\nConnection: close\r\n\r\n", method, path, proto)
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return string(b)
}

// TestTrailers: a Response's Trailer goes out in the last chunk of a
// chunked body, whole or detached, flushed or not (a whole answer with a
// Trailer is chunked rather than given a Content-Length); a field that
// may not be a trailer (RFC 9110 §6.5.1) or is not a token is left out,
// and a value cannot inject a field. Where a trailer has no place (a
// Content-Length of the handler's, HEAD, 204, HTTP/1.0) it is dropped
// and the answer is framed as without it.
func TestTrailers(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: trailerAnswers})
	const last = "0\r\nX-Sum: 42\r\nX-Count: 1\r\nX-Count: 2\r\nX-Split: a  Injected: 1\r\n\r\n"
	for _, tc := range []struct {
		method, path, proto string
		head, tail          string // the head must hold head; the answer must end with tail
	}{
		{"GET", "/whole", "HTTP/1.1", "Transfer-Encoding: chunked\r\n", "\r\n\r\n5\r\nhello\r\n" + last},
		{"GET", "/detached", "HTTP/1.1", "Transfer-Encoding: chunked\r\n", "\r\n\r\n5\r\nhello\r\n" + last},
		{"GET", "/flushed", "HTTP/1.1", "Transfer-Encoding: chunked\r\n", "\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n" + last},
		{"GET", "/empty-trailer", "HTTP/1.1", "Transfer-Encoding: chunked\r\n", "\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
		{"GET", "/length", "HTTP/1.1", "Content-Length: 5\r\n", "\r\n\r\nhello"},
		{"GET", "/detached-length", "HTTP/1.1", "Content-Length: 5\r\n", "\r\n\r\nhello"},
		{"HEAD", "/whole", "HTTP/1.1", "Content-Length: 5\r\n", "\r\n\r\n"},
		{"GET", "/nocontent", "HTTP/1.1", "HTTP/1.1 204 No Content\r\n", "\r\n\r\n"},
		{"GET", "/whole", "HTTP/1.0", "Content-Length: 5\r\n", "\r\n\r\nhello"},
		{"GET", "/detached", "HTTP/1.0", "Content-Length: 5\r\n", "\r\n\r\nhello"},
	} {
		got := rawAnswer(t, s, tc.method, tc.path, tc.proto)
		head, _, _ := strings.Cut(got, "\r\n\r\n")
		if !strings.Contains(head+"\r\n", tc.head) || !strings.HasSuffix(got, tc.tail) || strings.Contains(got, "\r\nInjected:") {
			t.Errorf("%s %s %s:\n%q\nwant a head with %q, ending %q", tc.method, tc.path, tc.proto, got, tc.head, tc.tail)
		}
	}
	// Go's client reads them as the answer's Trailer.
	resp, err := testserver.Client().Get(s.URL + "/flushed")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := http.Header{"X-Sum": {"42"}, "X-Count": {"1", "2"}, "X-Split": {"a  Injected: 1"}}
	if string(body) != "hello" || !reflect.DeepEqual(resp.Trailer, want) {
		t.Errorf("Go's client: body %q, trailer %v; want hello, %v", body, resp.Trailer, want)
	}
	// Keep-alive goes on after a chunked answer with trailers.
	c := s.Dial(t, 10*time.Second)
	br := bufio.NewReader(c)
	for range 2 {
		io.WriteString(c, "GET /whole HTTP/1.1\r\nHost: localhost\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "hello" || resp.Trailer.Get("X-Sum") != "42" {
			t.Fatalf("keep-alive answer: %q %v, trailer %v", b, err, resp.Trailer)
		}
	}
}
