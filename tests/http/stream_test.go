package http_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// streamCall is one handler call seen by a streaming server.
type streamCall struct {
	path string
	body string
	done bool
}

// streamServer starts a StreamBodies server whose handler reports every
// call on the returned channel and answers by path:
//
//	/collect  nothing until BodyDone, then "done"
//	/early    "early" at the first call
//	/417      417 at the first call
//	else      echo once BodyDone
func streamServer(t *testing.T, maxBody int64) (*testserver.Running, chan streamCall) {
	calls := make(chan streamCall, 1000)
	s := testserver.Start(t, &phttp.Server{StreamBodies: true, MaxBodyBytes: maxBody, Handler: func(w *phttp.Response, r *phttp.Request) {
		calls <- streamCall{r.Path, string(r.Body), r.BodyDone}
		switch r.Path {
		case "/collect":
			if r.BodyDone {
				w.WriteString("done")
			}
		case "/early":
			w.WriteString("early")
		case "/417":
			w.Status = 417
		default:
			if r.BodyDone {
				echo(w, r)
			}
		}
	}})
	return s, calls
}

func nextCall(t *testing.T, calls chan streamCall, what string) streamCall {
	t.Helper()
	select {
	case c := <-calls:
		return c
	case <-time.After(5 * time.Second):
		t.Fatalf("no handler call for %s within 5 s", what)
	}
	return streamCall{}
}

func noMoreCalls(t *testing.T, calls chan streamCall, what string) {
	t.Helper()
	select {
	case c := <-calls:
		t.Errorf("%s: unexpected handler call %+v", what, c)
	default:
	}
}

// TestStreamBodiesPieces: the handler is called at the end of the head
// (Body empty), then for every piece, BodyDone on the last; calls that
// write nothing send nothing.
func TestStreamBodiesPieces(t *testing.T) {
	s, calls := streamServer(t, 0)
	c := s.Dial(t, 10*time.Second)
	br := bufio.NewReader(c)

	// Content-Length body in three pieces.
	io.WriteString(c, "POST /collect HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9\r\n\r\n")
	if got := nextCall(t, calls, "the head"); got != (streamCall{"/collect", "", false}) {
		t.Fatalf("head call: %+v", got)
	}
	expectNothing(t, c, 100*time.Millisecond, "after a head call that wrote nothing")
	for i, piece := range []string{"abc", "def", "ghi"} {
		io.WriteString(c, piece)
		want := streamCall{"/collect", piece, i == 2}
		if got := nextCall(t, calls, "piece "+piece); got != want {
			t.Fatalf("piece %d: %+v, want %+v", i, got, want)
		}
		if i < 2 {
			expectNothing(t, c, 50*time.Millisecond, "after a piece call that wrote nothing")
		}
	}
	resp, body := testserver.ReadResponse(t, br, "POST")
	if resp.StatusCode != 200 || body != "done" {
		t.Errorf("answer %d %q", resp.StatusCode, body)
	}

	// Chunked body, on the same connection.
	io.WriteString(c, "POST /collect HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
	if got := nextCall(t, calls, "the chunked head"); got != (streamCall{"/collect", "", false}) {
		t.Fatalf("chunked head call: %+v", got)
	}
	io.WriteString(c, "3\r\nabc\r\n")
	if got := nextCall(t, calls, "chunk abc"); got != (streamCall{"/collect", "abc", false}) {
		t.Fatalf("chunk call: %+v", got)
	}
	expectNothing(t, c, 50*time.Millisecond, "after a chunk call that wrote nothing")
	io.WriteString(c, "0\r\n\r\n")
	if got := nextCall(t, calls, "the last chunk"); got != (streamCall{"/collect", "", true}) {
		t.Fatalf("last chunk call: %+v", got)
	}
	resp, body = testserver.ReadResponse(t, br, "POST")
	if resp.StatusCode != 200 || body != "done" {
		t.Errorf("chunked answer %d %q", resp.StatusCode, body)
	}

	// No body: one call, BodyDone.
	io.WriteString(c, get("/collect"))
	if got := nextCall(t, calls, "a GET"); got != (streamCall{"/collect", "", true}) {
		t.Fatalf("GET call: %+v", got)
	}
	testserver.ReadResponse(t, br, "GET")
	noMoreCalls(t, calls, "end")
}

// TestStreamBodiesEarlyAnswer: a handler that answers at the head call is
// not called again for that request; the rest of the body is discarded and
// the connection stays usable.
func TestStreamBodiesEarlyAnswer(t *testing.T) {
	s, calls := streamServer(t, 1000)
	for _, tc := range []struct{ name, head, body string }{
		{"content-length", "POST /early HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20\r\n\r\n", strings.Repeat("x", 20)},
		{"chunked", "POST /early HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"},
		{"content-length at MaxBodyBytes", "POST /early HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n", strings.Repeat("x", 1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := s.Dial(t, 10*time.Second)
			br := bufio.NewReader(c)
			io.WriteString(c, tc.head)
			resp, body := testserver.ReadResponse(t, br, "POST")
			if resp.StatusCode != 200 || body != "early" {
				t.Fatalf("early answer: %d %q", resp.StatusCode, body)
			}
			if hasClose(resp) {
				t.Errorf("early answer within MaxBodyBytes closes the connection")
			}
			if got := nextCall(t, calls, "the head"); got != (streamCall{"/early", "", false}) {
				t.Fatalf("head call: %+v", got)
			}
			// The body (in two writes) and the next request.
			io.WriteString(c, tc.body[:len(tc.body)/2])
			io.WriteString(c, tc.body[len(tc.body)/2:]+get("/next"))
			resp, body = testserver.ReadResponse(t, br, "GET")
			if want := echoBody("GET", "/next", "localhost", ""); resp.StatusCode != 200 || body != want {
				t.Fatalf("next request on the connection: %d %q, want %q", resp.StatusCode, body, want)
			}
			if got := nextCall(t, calls, "/next"); got.path != "/next" {
				t.Errorf("the handler was called for the discarded body: %+v", got)
			}
			noMoreCalls(t, calls, tc.name)
		})
	}
}

// TestStreamBodiesMaxBodyBytes: MaxBodyBytes bounds streamed bodies as it
// does buffered ones. A body of exactly the limit streams to the handler;
// a Content-Length one past it is answered 413 without calling the
// handler; a chunked body that grows past it is cut off with 413 once the
// bytes go over, after the handler saw what came within the limit.
func TestStreamBodiesMaxBodyBytes(t *testing.T) {
	const max = 1000
	s, calls := streamServer(t, max)
	t.Run("at the limit", func(t *testing.T) {
		body := strings.Repeat("a", max)
		raw, _ := exchange(t, s, "POST /collect HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 1000\r\n\r\n"+body, 5*time.Second)
		if testserver.StatusOf(raw) != 200 || !strings.HasSuffix(raw, "done") {
			t.Fatalf("body of exactly MaxBodyBytes: %q", raw)
		}
		var got strings.Builder
		for {
			c := nextCall(t, calls, "a body piece")
			got.WriteString(c.body)
			if c.done {
				break
			}
		}
		if got.String() != body {
			t.Errorf("handler got %d bytes, want %d", got.Len(), max)
		}
	})
	t.Run("Content-Length past the limit", func(t *testing.T) {
		raw, how := exchange(t, s, "POST /collect HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1001\r\n\r\n", 5*time.Second)
		if testserver.StatusOf(raw) != 413 || how != endEOF {
			t.Fatalf("Content-Length one past MaxBodyBytes: %q, %v; want 413 and a close", raw, how)
		}
		noMoreCalls(t, calls, "a streamed body refused by its length")
	})
	t.Run("chunks past the limit", func(t *testing.T) {
		c := s.Dial(t, 5*time.Second)
		io.WriteString(c, "POST /collect HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
		nextCall(t, calls, "the head")
		io.WriteString(c, "258\r\n"+strings.Repeat("b", 600)+"\r\n") // 600 bytes: within the limit
		if got := nextCall(t, calls, "the first piece"); len(got.body) != 600 || got.done {
			t.Fatalf("first piece: %d bytes, done %v", len(got.body), got.done)
		}
		io.WriteString(c, "258\r\n"+strings.Repeat("b", 600)+"\r\n0\r\n\r\n") // 1200 in all
		raw, how := readToEnd(c)
		if testserver.StatusOf(raw) != 413 || how != endEOF {
			t.Fatalf("chunked body past MaxBodyBytes: %q, %v; want 413 and a close", raw, how)
		}
		noMoreCalls(t, calls, "a streamed body past the limit")
	})
	t.Run("after an early answer", func(t *testing.T) {
		c := s.Dial(t, 5*time.Second)
		br := bufio.NewReader(c)
		io.WriteString(c, "POST /early HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
		resp, body := testserver.ReadResponse(t, br, "POST")
		if resp.StatusCode != 200 || body != "early" {
			t.Fatalf("early answer: %d %q", resp.StatusCode, body)
		}
		nextCall(t, calls, "the head")
		io.WriteString(c, "7d0\r\n"+strings.Repeat("x", 2000)+"\r\n")
		rest, how := readToEnd(br)
		if rest != "" || (how != endEOF && how != endReset) {
			t.Errorf("discarding more than MaxBodyBytes after an early answer: %q, %v; want the connection closed", rest, how)
		}
		noMoreCalls(t, calls, "a discarded body")
	})
	mustServe(t, s)
}

// readInterim reads one response head (a 100 Continue has no body).
func readInterim(t *testing.T, br *bufio.Reader) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatalf("reading a response: %v", err)
	}
	return resp
}

// TestExpectContinue: Expect: 100-continue gets a 100 when the server will
// read the body, and none when the answer comes first (417 or 413 at the
// head, or an HTTP/1.0 request).
func TestExpectContinue(t *testing.T) {
	plain := testserver.Start(t, &phttp.Server{MaxBodyBytes: 1000, Handler: echo})
	stream, calls := streamServer(t, 1000)

	t.Run("buffered body", func(t *testing.T) {
		c := plain.Dial(t, 10*time.Second)
		br := bufio.NewReader(c)
		io.WriteString(c, "POST /e HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		if resp := readInterim(t, br); resp.StatusCode != 100 {
			t.Fatalf("first answer %d, want 100", resp.StatusCode)
		}
		resp, body := roundTrip(t, c, br, "hello", "POST")
		if resp.StatusCode != 200 || body != echoBody("POST", "/e", "localhost", "hello") {
			t.Errorf("final answer %d %q", resp.StatusCode, body)
		}
	})
	t.Run("streamed body, handler waits", func(t *testing.T) {
		c := stream.Dial(t, 10*time.Second)
		br := bufio.NewReader(c)
		io.WriteString(c, "POST /collect HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		nextCall(t, calls, "the head")
		if resp := readInterim(t, br); resp.StatusCode != 100 {
			t.Fatalf("first answer %d, want 100", resp.StatusCode)
		}
		resp, body := roundTrip(t, c, br, "hello", "POST")
		if resp.StatusCode != 200 || body != "done" {
			t.Errorf("final answer %d %q", resp.StatusCode, body)
		}
		nextCall(t, calls, "the body")
	})
	t.Run("streamed body, handler answers 417 at once", func(t *testing.T) {
		c := stream.Dial(t, 10*time.Second)
		br := bufio.NewReader(c)
		io.WriteString(c, "POST /417 HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		nextCall(t, calls, "the head")
		resp := readInterim(t, br)
		if resp.StatusCode != 417 {
			t.Fatalf("first answer %d, want 417 with no 100 before it", resp.StatusCode)
		}
		io.Copy(io.Discard, resp.Body)
		if !hasClose(resp) {
			// The server keeps reading: the client may send the body
			// (RFC 9110 §10.1.1) and go on.
			resp, body := roundTrip(t, c, br, "hello"+get("/after"), "GET")
			if resp.StatusCode != 200 || body != echoBody("GET", "/after", "localhost", "") {
				t.Errorf("after the 417: %d %q", resp.StatusCode, body)
			}
			nextCall(t, calls, "/after")
		}
	})
	t.Run("body over MaxBodyBytes", func(t *testing.T) {
		c := plain.Dial(t, 10*time.Second)
		br := bufio.NewReader(c)
		io.WriteString(c, "POST /e HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
		resp := readInterim(t, br)
		if resp.StatusCode != 413 || !hasClose(resp) {
			t.Fatalf("first answer %d close=%v, want 413 with Connection: close and no 100", resp.StatusCode, hasClose(resp))
		}
	})
	t.Run("HTTP/1.0 gets no 100", func(t *testing.T) {
		c := plain.Dial(t, 10*time.Second)
		br := bufio.NewReader(c)
		io.WriteString(c, "POST /e HTTP/1.0\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello")
		resp := readInterim(t, br)
		if resp.StatusCode != 200 {
			t.Fatalf("first answer %d, want 200 (RFC 9110 §10.1.1: ignore 100-continue from HTTP/1.0)", resp.StatusCode)
		}
	})
	t.Run("net/http client", func(t *testing.T) {
		client := testserver.Client()
		client.Transport.(*http.Transport).ExpectContinueTimeout = 10 * time.Second
		defer client.CloseIdleConnections()
		for _, srv := range []*testserver.Running{plain, stream} {
			req, _ := http.NewRequest("POST", srv.URL+"/nethttp", io.NopCloser(strings.NewReader("payload")))
			req.ContentLength = 7
			req.Header.Set("Expect", "100-continue")
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v: the client waited for a 100 that never came", took)
			}
			if want := echoBody("POST", "/nethttp", srv.Host, "payload"); resp.StatusCode != 200 || string(body) != want {
				t.Errorf("%d %q, want %q", resp.StatusCode, body, want)
			}
		}
		for len(calls) > 0 {
			<-calls
		}
	})
}

// TestStreamBodiesManyPieces: a large body streamed in many reads reaches
// the handler whole, in order, with exactly one BodyDone.
func TestStreamBodiesManyPieces(t *testing.T) {
	s, calls := streamServer(t, 1<<20)
	const size = 512 << 10
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	c := s.Dial(t, 20*time.Second)
	go func(c net.Conn) {
		fmt.Fprintf(c, "POST /collect HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n", size)
		for off := 0; off < size; off += 10000 {
			c.Write(payload[off:min(off+10000, size)])
		}
	}(c)
	resp, body := testserver.ReadResponse(t, bufio.NewReader(c), "POST")
	if resp.StatusCode != 200 || body != "done" {
		t.Fatalf("answer %d %q", resp.StatusCode, body)
	}
	var got strings.Builder
	done := 0
	first := true
	for len(calls) > 0 {
		call := <-calls
		if first && (call.body != "" || call.done) {
			t.Errorf("first call %+v, want the head call", call)
		}
		first = false
		got.WriteString(call.body)
		if call.done {
			done++
		}
	}
	if got.String() != string(payload) || done != 1 {
		t.Errorf("reassembled %d bytes (equal=%v), %d BodyDone calls", got.Len(), got.String() == string(payload), done)
	}
}
