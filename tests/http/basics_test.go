package http_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestKeepAliveReuseNetHTTP: 1,000 requests from net/http's client go over
// one keep-alive connection.
func TestKeepAliveReuseNetHTTP(t *testing.T) {
	var remotes sync.Map // handler → test: which client ports were seen
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		remotes.Store(r.RemoteAddr.String(), true)
		echo(w, r)
	}})
	client := testserver.Client()
	defer client.CloseIdleConnections()
	reused := 0
	for i := range 1000 {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/r%d", s.URL, i), nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) {
				if info.Reused {
					reused++
				}
			},
		}))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d, err %v", i, resp.StatusCode, err)
		}
		if want := echoBody("GET", fmt.Sprintf("/r%d", i), s.Host, ""); string(body) != want {
			t.Fatalf("request %d: body %q, want %q", i, body, want)
		}
		if resp.Header.Get("Connection") == "close" || resp.Close {
			t.Fatalf("request %d: server asked to close a keep-alive connection", i)
		}
	}
	if reused != 999 {
		t.Errorf("reused a connection for %d of 999 follow-up requests", reused)
	}
	n := 0
	remotes.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("server saw %d client connections, want 1", n)
	}
}

// TestKeepAliveReuseRaw: 1,000 requests, one at a time, on one raw socket.
func TestKeepAliveReuseRaw(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: echo})
	c := s.Dial(t, 30*time.Second)
	br := bufio.NewReader(c)
	for i := range 1000 {
		body := strconv.Itoa(i)
		req := fmt.Sprintf("POST /k%d HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n%s", i, len(body), body)
		resp, got := roundTrip(t, c, br, req, "POST")
		if want := echoBody("POST", fmt.Sprintf("/k%d", i), "localhost", body); resp.StatusCode != 200 || got != want {
			t.Fatalf("request %d: %d %q, want %q", i, resp.StatusCode, got, want)
		}
		if hasClose(resp) {
			t.Fatalf("request %d: Connection: close on HTTP/1.1 keep-alive", i)
		}
	}
}

// TestPipelined100OneWrite: 100 requests in one write are answered in order.
func TestPipelined100OneWrite(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: echo})
	c := s.Dial(t, 10*time.Second)
	var sb strings.Builder
	methods := make([]string, 0, 101)
	for i := range 100 {
		fmt.Fprintf(&sb, "GET /p%d HTTP/1.1\r\nHost: localhost\r\n\r\n", i)
		methods = append(methods, "GET")
	}
	sb.WriteString("GET /last HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	methods = append(methods, "GET")
	if _, err := io.WriteString(c, sb.String()); err != nil {
		t.Fatal(err)
	}
	raw, how := readToEnd(c)
	if how != endEOF {
		t.Errorf("connection ended with %v after Connection: close, want EOF", how)
	}
	resps, bodies := parseAll(t, raw, methods...)
	for i := range 100 {
		if want := echoBody("GET", fmt.Sprintf("/p%d", i), "localhost", ""); resps[i].StatusCode != 200 || bodies[i] != want {
			t.Fatalf("answer %d: %d %q, want %q", i, resps[i].StatusCode, bodies[i], want)
		}
	}
	if bodies[100] != echoBody("GET", "/last", "localhost", "") || !hasClose(resps[100]) {
		t.Errorf("last answer: %q, Connection %q", bodies[100], resps[100].Header.Get("Connection"))
	}
}

// TestPipelinedMixed: pipelined requests with bodies (length and chunked),
// HEAD and no-body statuses keep their framing and order.
func TestPipelinedMixed(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path == "/204" {
			w.Status = 204
		}
		echo(w, r)
	}})
	reqs := []struct{ method, raw, want string }{
		{"POST", "POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc", echoBody("POST", "/a", "localhost", "abc")},
		{"HEAD", "HEAD /h HTTP/1.1\r\nHost: localhost\r\n\r\n", ""},
		{"POST", "POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3;x=y\r\nllo\r\n0\r\nTrailer-X: 1\r\n\r\n", echoBody("POST", "/c", "localhost", "hello")},
		{"GET", "GET /204 HTTP/1.1\r\nHost: localhost\r\n\r\n", ""},
		{"GET", "GET /z HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", echoBody("GET", "/z", "localhost", "")},
	}
	var all strings.Builder
	var methods []string
	for _, r := range reqs {
		all.WriteString(r.raw)
		methods = append(methods, r.method)
	}
	raw, _ := exchange(t, s, all.String(), 5*time.Second)
	_, bodies := parseAll(t, raw, methods...)
	for i, r := range reqs {
		if bodies[i] != r.want {
			t.Errorf("answer %d (%s): %q, want %q", i, r.method, bodies[i], r.want)
		}
	}
}

// TestOneBytePerWrite: requests fed one byte per write are parsed whole.
func TestOneBytePerWrite(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: echo})
	c := s.Dial(t, 20*time.Second)
	br := bufio.NewReader(c)
	reqs := []struct{ method, raw, want string }{
		{"GET", "GET /one?x=1 HTTP/1.1\r\nHost: localhost\r\nX-A: b\r\n\r\n", echoBody("GET", "/one?x=1", "localhost", "")},
		{"POST", "POST /len HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\nhello world", echoBody("POST", "/len", "localhost", "hello world")},
		{"POST", "POST /chunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=\"q\"\r\n world\r\n0\r\n\r\n", echoBody("POST", "/chunked", "localhost", "hello world")},
	}
	for _, r := range reqs {
		for i := 0; i < len(r.raw); i++ {
			if _, err := c.Write([]byte{r.raw[i]}); err != nil {
				t.Fatalf("write byte %d: %v", i, err)
			}
		}
		resp, body := testserver.ReadResponse(t, br, r.method)
		if resp.StatusCode != 200 || body != r.want {
			t.Errorf("%s: %d %q, want %q", r.method, resp.StatusCode, body, r.want)
		}
	}
}

// TestKeepAliveRules: keep-alive per HTTP version and Connection.
func TestKeepAliveRules(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path == "/bye" {
			w.SetHeader("Connection", "close")
		}
		echo(w, r)
	}})
	cases := []struct {
		name, req  string
		keep       bool
		connHeader string // expected Connection header, "" for none
	}{
		{"1.1 default", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", true, ""},
		{"1.1 close", "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", false, "close"},
		{"1.1 CLOSE in a list", "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: foo, CLOSE\r\n\r\n", false, "close"},
		{"1.1 keep-alive and close", "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false, "close"},
		{"1.1 handler says close", "GET /bye HTTP/1.1\r\nHost: localhost\r\n\r\n", false, "close"},
		{"1.0 default", "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n", false, "close"},
		{"1.0 without Host", "GET / HTTP/1.0\r\n\r\n", false, "close"},
		{"1.0 keep-alive", "GET / HTTP/1.0\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n", true, "keep-alive"},
		{"1.0 Keep-Alive mixed case", "GET / HTTP/1.0\r\nHost: localhost\r\nConnection: Keep-Alive\r\n\r\n", true, "keep-alive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := s.Dial(t, 5*time.Second)
			br := bufio.NewReader(c)
			resp, _ := roundTrip(t, c, br, tc.req, "GET")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			got := resp.Header.Get("Connection")
			if resp.Close {
				got = "close" // ReadResponse removes Connection: close
			}
			if !strings.EqualFold(got, tc.connHeader) {
				t.Errorf("Connection: %q, want %q", got, tc.connHeader)
			}
			if tc.keep {
				resp, _ = roundTrip(t, c, br, tc.req, "GET")
				if resp.StatusCode != 200 {
					t.Fatalf("second request on a keep-alive connection: status %d", resp.StatusCode)
				}
				return
			}
			rest, how := readToEnd(br)
			if rest != "" || how != endEOF {
				t.Errorf("after the last answer: %q, %v; want a clean close", rest, how)
			}
		})
	}
}

const noBodyText = "this must not be sent for HEAD, 204 or 304"

// TestNoBodyStatuses: HEAD, 204 and 304 carry no body; the next pipelined
// answer proves the framing.
func TestNoBodyStatuses(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		switch r.Path {
		case "/204":
			w.Status = 204
		case "/304":
			w.Status = 304
		}
		w.WriteString(noBodyText)
	}})
	for _, tc := range []struct{ method, path string }{{"HEAD", "/"}, {"GET", "/204"}, {"GET", "/304"}, {"POST", "/204"}, {"HEAD", "/304"}} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			req := tc.method + " " + tc.path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n" +
				"GET /next HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
			raw, _ := exchange(t, s, req, 5*time.Second)
			// Split by hand: everything up to the second status line is the
			// first answer.
			i := strings.Index(raw[1:], "HTTP/1.1 ")
			if i < 0 {
				t.Fatalf("want two answers, got %q", raw)
			}
			first := raw[:i+1]
			head, body, _ := strings.Cut(first, "\r\n\r\n")
			if body != "" {
				t.Errorf("first answer carries a body: %q", body)
			}
			resps, bodies := parseAll(t, raw, tc.method, "GET")
			switch {
			case tc.method == "HEAD" && tc.path == "/":
				if cl := resps[0].Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(noBodyText)) {
					t.Errorf("HEAD Content-Length %q: want the GET's length (%d) or none", cl, len(noBodyText))
				}
			case tc.path == "/204":
				if resps[0].StatusCode != 204 {
					t.Errorf("status %d, want 204", resps[0].StatusCode)
				}
				if strings.Contains(strings.ToLower(head), "content-length") || strings.Contains(strings.ToLower(head), "transfer-encoding") {
					t.Errorf("204 carries framing headers:\n%s", head)
				}
			case tc.path == "/304":
				if resps[0].StatusCode != 304 {
					t.Errorf("status %d, want 304", resps[0].StatusCode)
				}
				if strings.Contains(strings.ToLower(head), "transfer-encoding") {
					t.Errorf("304 carries Transfer-Encoding:\n%s", head)
				}
			}
			if bodies[1] != noBodyText || resps[1].StatusCode != 200 {
				t.Errorf("next answer: %d %q", resps[1].StatusCode, bodies[1])
			}
		})
	}
}

// TestContentLengthAlwaysRight: the server computes Content-Length from the
// body, whatever the handler claimed, and never sends two framings.
func TestContentLengthAlwaysRight(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		n, _ := strconv.Atoi(r.Query().Get("n"))
		if r.Query().Get("lie") != "" {
			w.SetHeader("Content-Length", "999")
			w.SetHeader("Transfer-Encoding", "chunked")
		}
		w.Write([]byte(strings.Repeat("x", n)))
	}})
	client := testserver.Client()
	defer client.CloseIdleConnections()
	for _, n := range []int{0, 1, 100, 16<<10 + 1, 64<<10 + 3, 1 << 20} {
		for _, lie := range []string{"", "1"} {
			resp, err := client.Get(fmt.Sprintf("%s/?n=%d&lie=%s", s.URL, n, lie))
			if err != nil {
				t.Fatalf("n=%d lie=%q: %v", n, lie, err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || len(body) != n || resp.ContentLength != int64(n) {
				t.Errorf("n=%d lie=%q: read %d bytes (err %v), ContentLength %d", n, lie, len(body), err, resp.ContentLength)
			}
			if len(resp.TransferEncoding) != 0 || len(resp.Header.Values("Content-Length")) > 1 {
				t.Errorf("n=%d lie=%q: TE %v, CL %v", n, lie, resp.TransferEncoding, resp.Header.Values("Content-Length"))
			}
		}
	}
}

// TestDateHeader: every answer (refusals included) carries a current Date.
func TestDateHeader(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: echo})
	for _, req := range []string{get("/"), "GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n"} {
		raw, _ := exchange(t, s, req+"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 5*time.Second)
		resps, _ := parseAll(t, raw, "GET")
		d := resps[0].Header.Get("Date")
		when, err := http.ParseTime(d)
		if err != nil {
			t.Errorf("%q: Date %q: %v", req, d, err)
			continue
		}
		if off := time.Since(when); off < -5*time.Second || off > 5*time.Second {
			t.Errorf("%q: Date %q is %v off", req, d, off)
		}
		if !strings.HasSuffix(d, " GMT") {
			t.Errorf("Date %q is not in IMF-fixdate", d)
		}
	}
}

// TestRequestTargetForms: absolute-form gives Path and Host from the target;
// percent-decoding; query; asterisk-form.
func TestRequestTargetForms(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		fmt.Fprintf(w, "uri=%s path=%s raw=%s q=%s host=%s", r.URI, r.Path, r.RawPath, r.RawQuery, r.Host)
	}})
	cases := []struct{ req, want string }{
		{"GET http://localhost/x HTTP/1.1\r\nHost: localhost\r\n\r\n", "uri=http://localhost/x path=/x raw=/x q= host=localhost"},
		{"GET http://localhost:8080/x?y=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "uri=http://localhost:8080/x?y=1 path=/x raw=/x q=y=1 host=localhost:8080"},
		{"GET HTTP://127.0.0.1 HTTP/1.1\r\nHost: localhost\r\n\r\n", "uri=HTTP://127.0.0.1 path=/ raw=/ q= host=127.0.0.1"},
		{"GET /a%20b/c?d=%20 HTTP/1.1\r\nHost: [::1]:9\r\n\r\n", "uri=/a%20b/c?d=%20 path=/a b/c raw=/a%20b/c q=d=%20 host=[::1]:9"},
		{"OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n", "uri=* path=* raw=* q= host=localhost"},
	}
	for _, tc := range cases {
		raw, _ := exchange(t, s, strings.Replace(tc.req, "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1), 5*time.Second)
		resps, bodies := parseAll(t, raw, "GET")
		if resps[0].StatusCode != 200 || bodies[0] != tc.want {
			t.Errorf("%q:\n got %d %q\nwant %q", tc.req, resps[0].StatusCode, bodies[0], tc.want)
		}
	}
}

// TestHandlerPanic: a panic answers 500, is logged, and the loop goes on.
func TestHandlerPanic(t *testing.T) {
	logger, logs := newLogger()
	s := testserver.Start(t, &phttp.Server{Logger: logger, Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path == "/panic" {
			w.WriteString("partial answer")
			panic("boom-e2e-panic")
		}
		echo(w, r)
	}})
	c := s.Dial(t, 5*time.Second)
	br := bufio.NewReader(c)
	resp, body := roundTrip(t, c, br, get("/panic"), "GET")
	if resp.StatusCode != 500 {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	if strings.Contains(body, "partial answer") {
		t.Errorf("the panicking handler's partial body leaked: %q", body)
	}
	if !strings.Contains(logs.String(), "boom-e2e-panic") {
		t.Errorf("panic not logged; log:\n%s", logs.String())
	}
	if !hasClose(resp) {
		// The same connection may go on; if it does, it must serve.
		resp, _ = roundTrip(t, c, br, get("/after"), "GET")
		if resp.StatusCode != 200 {
			t.Errorf("after a panic on the same connection: %d", resp.StatusCode)
		}
	}
	mustServe(t, s)
	// Through net/http too, several times.
	client := testserver.Client()
	defer client.CloseIdleConnections()
	for range 3 {
		resp, err := client.Get(s.URL + "/panic")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 {
			t.Errorf("status %d, want 500", resp.StatusCode)
		}
	}
	if n := strings.Count(logs.String(), "boom-e2e-panic"); n != 4 {
		t.Errorf("%d panics logged, want 4", n)
	}
	mustServe(t, s)
}

// TestNilHandler: a Server without a Handler answers 404.
func TestNilHandler(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{})
	raw, _ := exchange(t, s, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 5*time.Second)
	if got := testserver.StatusOf(raw); got != 404 {
		t.Errorf("status %d, want 404", got)
	}
}

// TestNothingAfterConnectionClose: requests pipelined after one that says
// Connection: close are not answered.
func TestNothingAfterConnectionClose(t *testing.T) {
	var calls counting
	s := testserver.Start(t, &phttp.Server{Handler: calls.handle})
	raw, how := exchange(t, s, get("/a")+getClose("/b")+get("/c")+get("/d"), 5*time.Second)
	resps, bodies := parseAll(t, raw, "GET", "GET")
	if bodies[0] != echoBody("GET", "/a", "localhost", "") || bodies[1] != echoBody("GET", "/b", "localhost", "") || !hasClose(resps[1]) {
		t.Errorf("answers %q", bodies)
	}
	if n := strings.Count(raw, "HTTP/1.1 "); n != 2 || how != endEOF {
		t.Errorf("%d answers, end %v; want 2 and a clean close", n, how)
	}
	if calls.n.Load() != 2 {
		t.Errorf("handler called %d times, want 2", calls.n.Load())
	}
}

// TestHalfClose: a client that shuts down its sending side after its
// requests still gets every answer, then a clean close.
func TestHalfClose(t *testing.T) {
	for _, maxPipe := range []int{0, 2} {
		t.Run(fmt.Sprintf("MaxPipelined=%d", maxPipe), func(t *testing.T) {
			s := testserver.Start(t, &phttp.Server{MaxPipelined: maxPipe, Handler: echo})
			for _, n := range []int{1, 40} {
				c := s.Dial(t, 5*time.Second)
				var sb strings.Builder
				methods := make([]string, n)
				for i := range n {
					sb.WriteString(get(fmt.Sprintf("/h%d", i)))
					methods[i] = "GET"
				}
				io.WriteString(c, sb.String())
				if err := testserver.CloseWrite(c); err != nil {
					t.Fatal(err)
				}
				raw, how := readToEnd(c)
				_, bodies := parseAll(t, raw, methods...)
				for i := range n {
					if want := echoBody("GET", fmt.Sprintf("/h%d", i), "localhost", ""); bodies[i] != want {
						t.Fatalf("%d requests: answer %d %q, want %q", n, i, bodies[i], want)
					}
				}
				if how != endEOF {
					t.Errorf("%d requests: end %v, want EOF", n, how)
				}
			}
			// A head cut short by the half-close gets no answer, only a close.
			c := s.Dial(t, 5*time.Second)
			io.WriteString(c, "GET /cut HTTP/1.1\r\nHost: loc")
			testserver.CloseWrite(c)
			if raw, how := readToEnd(c); how == endTimeout || (raw != "" && testserver.StatusOf(raw) != 400) {
				t.Errorf("cut head: %q, %v", raw, how)
			}
			mustServe(t, s)
		})
	}
}

// TestResponseHeaderInjection: header values a handler sets cannot split
// the response (CR/LF are not sent as such) and bad names are dropped.
func TestResponseHeaderInjection(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		w.SetHeader("X-Evil", r.Query().Get("v"))
		w.SetHeader("Bad Name\r\nSet-Cookie", "x=1")
		w.WriteString("body")
	}})
	raw, _ := exchange(t, s, "GET /?v=a%0d%0aSet-Cookie:%20pwned=1%0d%0a%0d%0aHTTP/1.1%20200 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 5*time.Second)
	resps, bodies := parseAll(t, raw, "GET")
	if resps[0].Header.Get("Set-Cookie") != "" || strings.Contains(raw, "\nSet-Cookie") || bodies[0] != "body" {
		t.Errorf("response split by a handler's header value:\n%q", raw)
	}
	for i, line := range strings.Split(raw, "\n") {
		if i > 0 && (strings.HasPrefix(line, "HTTP/") || strings.HasPrefix(strings.ToLower(line), "set-cookie")) {
			t.Errorf("injected line %q in:\n%q", line, raw)
		}
	}
	if strings.Count(raw, "\r") != strings.Count(raw, "\r\n") {
		t.Errorf("bare CR in the response:\n%q", raw)
	}
}

// TestRequestContentLength: ContentLength is 0 for a request without a
// body (as net/http sets it), the length when Content-Length gives it, and
// -1 only when it is unknown (chunked).
func TestRequestContentLength(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		fmt.Fprintf(w, "%d %d", r.ContentLength, len(r.Body))
	}})
	for req, want := range map[string]string{
		"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n": "0 0",
		"GET / HTTP/1.0\r\n\r\n": "0 0",
		"POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\r\n":                               "0 0",
		"POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello":                          "5 5",
		"POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n": "-1 3",
	} {
		raw, _ := exchange(t, s, req, 5*time.Second)
		if !strings.HasSuffix(raw, "\r\n\r\n"+want) {
			t.Errorf("%q: answered %q, want body %q", req, raw, want)
		}
	}
}
