package http_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

const h = "Host: localhost\r\n"

// hostileCases are refused with their status and Connection: close, and
// never reach the handler.
var hostileCases = []struct {
	name   string
	req    string
	status int
}{
	// Framing conflicts (RFC 9112 §6.3).
	{"CL+TE", "POST / HTTP/1.1\r\n" + h + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", 400},
	{"TE+CL", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nG", 400},
	{"CL 0 + TE", "POST / HTTP/1.1\r\n" + h + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
	{"duplicate CL, same value", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400},
	{"duplicate CL, different", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
	{"CL list", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3, 3\r\n\r\nabc", 400},
	{"CL letters", "POST / HTTP/1.1\r\n" + h + "Content-Length: abc\r\n\r\n", 400},
	{"CL negative", "POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n", 400},
	{"CL plus sign", "POST / HTTP/1.1\r\n" + h + "Content-Length: +3\r\n\r\nabc", 400},
	{"CL hex", "POST / HTTP/1.1\r\n" + h + "Content-Length: 0x3\r\n\r\nabc", 400},
	{"CL inner space", "POST / HTTP/1.1\r\n" + h + "Content-Length: 1 2\r\n\r\n", 400},
	{"CL empty", "POST / HTTP/1.1\r\n" + h + "Content-Length:\r\n\r\n", 400},
	{"CL overflow", "POST / HTTP/1.1\r\n" + h + "Content-Length: 99999999999999999999999\r\n\r\n", 400},
	// Line structure.
	{"obs-fold", "GET / HTTP/1.1\r\n" + h + "X-A: a\r\n b\r\n\r\n", 400},
	{"obs-fold with tab", "GET / HTTP/1.1\r\n" + h + "X-A: a\r\n\tb\r\n\r\n", 400},
	{"whitespace before first field", "GET / HTTP/1.1\r\n " + h + "\r\n", 400},
	{"bare CR in value", "GET / HTTP/1.1\r\n" + h + "X-A: a\rb\r\n\r\n", 400},
	{"bare CR ending request line", "GET / HTTP/1.1\r" + h + "\r\n", 400},
	{"bare CR ending head", "GET / HTTP/1.1\r\n" + h + "\r\r\n", 400},
	{"bare LF everywhere", "GET / HTTP/1.1\n" + "Host: localhost\n\n", 400},
	{"bare LF after field", "GET / HTTP/1.1\r\nHost: localhost\nX-A: b\r\n\r\n", 400},
	{"NUL in value", "GET / HTTP/1.1\r\n" + h + "X-A: a\x00b\r\n\r\n", 400},
	{"control byte in value", "GET / HTTP/1.1\r\n" + h + "X-A: a\x01b\r\n\r\n", 400},
	{"ESC in value", "GET / HTTP/1.1\r\n" + h + "X-A: \x1b[31m\r\n\r\n", 400},
	{"DEL in value", "GET / HTTP/1.1\r\n" + h + "X-A: a\x7fb\r\n\r\n", 400},
	{"NUL in name", "GET / HTTP/1.1\r\n" + h + "X\x00A: b\r\n\r\n", 400},
	{"space before colon", "GET / HTTP/1.1\r\nHost : localhost\r\n\r\n", 400},
	{"tab before colon", "GET / HTTP/1.1\r\n" + h + "X-A\t: b\r\n\r\n", 400},
	{"no colon", "GET / HTTP/1.1\r\n" + h + "NoColon\r\n\r\n", 400},
	{"empty name", "GET / HTTP/1.1\r\n" + h + ": b\r\n\r\n", 400},
	{"bad name byte", "GET / HTTP/1.1\r\n" + h + "X(A): b\r\n\r\n", 400},
	// Chunked bodies (RFC 9112 §7.1).
	{"bad chunk size", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
	{"chunk size overflow", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400},
	{"chunk size 2^64", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\nhello\r\n0\r\n\r\n", 400},
	{"chunk size negative", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400},
	{"chunk size 0x", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400},
	{"chunk size leading space", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", 400},
	{"chunk size empty", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400},
	{"chunk size bare LF", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400},
	{"chunk data too long", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", 400},
	{"bad chunk extension", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n5;\x01\r\nhello\r\n0\r\n\r\n", 400},
	{"trailer obs-fold", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n", 400},
	// Transfer codings (RFC 9112 §6.1).
	{"TE gzip, chunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
	{"TE chunked, gzip", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
	{"TE chunked, chunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400},
	{"TE twice chunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
	{"TE chunked then identity", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n", 400},
	{"TE obs-fold", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400},
	{"TE obs-fold after value", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n , chunked\r\n\r\n0\r\n\r\n", 400},
	{"TE space before colon", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400},
	{"TE vertical tab", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n", 400},
	{"TE form feed", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\x0c\r\n\r\n0\r\n\r\n", 400},
	{"TE on HTTP/1.0", "POST / HTTP/1.0\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
	// Host (RFC 9112 §3.2).
	{"missing Host on 1.1", "GET / HTTP/1.1\r\n\r\n", 400},
	{"two Hosts", "GET / HTTP/1.1\r\n" + h + h + "\r\n", 400},
	{"two different Hosts", "GET / HTTP/1.1\r\n" + h + "Host: evil.example\r\n\r\n", 400},
	{"Host with space", "GET / HTTP/1.1\r\nHost: local host\r\n\r\n", 400},
	{"Host with userinfo", "GET / HTTP/1.1\r\nHost: user@localhost\r\n\r\n", 400},
	{"Host bad port", "GET / HTTP/1.1\r\nHost: localhost:8x\r\n\r\n", 400},
	// Request line (RFC 9112 §3).
	{"HTTP/2.0 request line", "GET / HTTP/2.0\r\n" + h + "\r\n", 505},
	{"HTTP/3.0 request line", "GET / HTTP/3.0\r\n" + h + "\r\n", 505},
	{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
	{"lower-case version", "GET / http/1.1\r\n" + h + "\r\n", 400},
	{"short version", "GET / HTTP/1\r\n" + h + "\r\n", 400},
	{"HTTP/0.9 request", "GET /\r\n\r\n", 400},
	{"double space", "GET  / HTTP/1.1\r\n" + h + "\r\n", 400},
	{"leading space", " GET / HTTP/1.1\r\n" + h + "\r\n", 400},
	{"bad method byte", "G(T / HTTP/1.1\r\n" + h + "\r\n", 400},
	{"space in target", "GET /a b HTTP/1.1\r\n" + h + "\r\n", 400},
	{"tab in target", "GET /a\tb HTTP/1.1\r\n" + h + "\r\n", 400},
	{"control byte in target", "GET /a\x01b HTTP/1.1\r\n" + h + "\r\n", 400},
	{"NUL in target", "GET /a\x00b HTTP/1.1\r\n" + h + "\r\n", 400},
	{"DEL in target", "GET /a\x7fb HTTP/1.1\r\n" + h + "\r\n", 400},
	{"non-ASCII in target", "GET /\xc3\xa9 HTTP/1.1\r\n" + h + "\r\n", 400},
	{"invalid percent escape", "GET /a%zz HTTP/1.1\r\n" + h + "\r\n", 400},
	{"truncated percent escape", "GET /a%4 HTTP/1.1\r\n" + h + "\r\n", 400},
	{"percent at end", "GET /a% HTTP/1.1\r\n" + h + "\r\n", 400},
	{"relative target", "GET a/b HTTP/1.1\r\n" + h + "\r\n", 400},
	{"absolute-form with userinfo", "GET http://user@localhost/ HTTP/1.1\r\n" + h + "\r\n", 400},
	{"asterisk with GET", "GET * HTTP/1.1\r\n" + h + "\r\n", 400},
	// Expect (RFC 9110 §10.1.1).
	{"Expect something-else", "POST / HTTP/1.1\r\n" + h + "Expect: something-else\r\nContent-Length: 3\r\n\r\nabc", 417},
	{"Expect 100-continue with params", "GET / HTTP/1.1\r\n" + h + "Expect: 100-continue;x=1\r\n\r\n", 417},
}

// TestHostileInput: each hostile request is answered with its status and
// Connection: close, the connection is closed, the handler never sees it,
// and the server goes on serving the next client.
func TestHostileInput(t *testing.T) {
	var calls counting
	s := testserver.Start(t, &phttp.Server{Handler: calls.handle})
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			before := calls.n.Load()
			raw, how := exchange(t, s, tc.req, 5*time.Second)
			resps, bodies := parseAll(t, raw, "GET")
			if resps[0].StatusCode != tc.status {
				t.Errorf("status %d (%q), want %d", resps[0].StatusCode, bodies[0], tc.status)
			}
			if !hasClose(resps[0]) {
				t.Errorf("no Connection: close on a refusal")
			}
			if how != endEOF && how != endReset {
				t.Errorf("connection not closed after a refusal: %v", how)
			}
			if how == endReset {
				t.Logf("note: connection reset rather than closed cleanly")
			}
			if n := calls.n.Load() - before; n != 0 {
				t.Errorf("the handler was called %d times for a refused request", n)
			}
			mustServe(t, s)
		})
	}
}

// TestHostileInputByteByByte: the same refusals when the request comes one
// byte at a time (the parser must judge at every split point).
func TestHostileInputByteByByte(t *testing.T) {
	var calls counting
	s := testserver.Start(t, &phttp.Server{Handler: calls.handle})
	for _, tc := range hostileCases {
		before := calls.n.Load()
		c := s.Dial(t, 5*time.Second)
		var werr error
		for i := 0; i < len(tc.req) && werr == nil; i++ {
			_, werr = c.Write([]byte{tc.req[i]})
		}
		raw, _ := readToEnd(c)
		c.Close()
		if got := testserver.StatusOf(raw); got != tc.status {
			t.Errorf("%s: status %d, want %d (raw %q)", tc.name, got, tc.status, raw)
		}
		if n := calls.n.Load() - before; n != 0 {
			t.Errorf("%s: the handler was called %d times", tc.name, n)
		}
	}
	mustServe(t, s)
}

// TestTransferEncodingVariants: smuggling attempts through variants of
// Transfer-Encoding. RFC 9110 §5.5 trims OWS around a field value and
// §7.1.1 makes coding names case-insensitive, so those variants are plain
// chunked; anything else where chunked is not exactly the final coding is
// refused (RFC 9112 §6.3: 400, or 501 for an unknown coding, §6.1). Either
// way the bytes after the body are never taken as part of it or vice versa.
func TestTransferEncodingVariants(t *testing.T) {
	var calls counting
	s := testserver.Start(t, &phttp.Server{Handler: calls.handle})
	const body = "5\r\nhello\r\n0\r\n\r\n"
	const next = "GET /next HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
	cases := []struct {
		name, field string
		chunked     bool  // accepted as chunked
		refused     []int // else one of these statuses
	}{
		{"trailing space", "Transfer-Encoding: chunked \r\n", true, nil},
		{"trailing tab", "Transfer-Encoding: chunked\t\r\n", true, nil},
		{"leading tab", "Transfer-Encoding:\tchunked\r\n", true, nil},
		{"no space", "Transfer-Encoding:chunked\r\n", true, nil},
		{"upper case", "Transfer-Encoding: CHUNKED\r\n", true, nil},
		{"name case", "transfer-encoding: Chunked\r\n", true, nil},
		{"xchunked", "Transfer-Encoding: xchunked\r\n", false, []int{400, 501}},
		{"chunkedx", "Transfer-Encoding: chunkedx\r\n", false, []int{400, 501}},
		{"identity", "Transfer-Encoding: identity\r\n", false, []int{400, 501}},
		{"quoted", "Transfer-Encoding: \"chunked\"\r\n", false, []int{400, 501}},
		{"with parameter", "Transfer-Encoding: chunked;q=1\r\n", false, []int{400, 501}},
		{"comma split", "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n", false, []int{400, 501}},
		{"space in name", "Transfer Encoding: chunked\r\n", false, []int{400}},
		{"obs-fold", "Transfer-Encoding:\r\n chunked\r\n", false, []int{400}},
		{"underscore name", "Transfer_Encoding: chunked\r\n", false, nil}, // not TE at all: no body
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := calls.n.Load()
			raw, _ := exchange(t, s, "POST /te HTTP/1.1\r\n"+h+tc.field+"\r\n"+body+next, 5*time.Second)
			status := testserver.StatusOf(raw)
			switch {
			case tc.chunked:
				resps, bodies := parseAll(t, raw, "POST", "GET")
				if resps[0].StatusCode != 200 || bodies[0] != echoBody("POST", "/te", "localhost", "hello") {
					t.Errorf("not read as chunked: %d %q", resps[0].StatusCode, bodies[0])
				}
				if bodies[1] != echoBody("GET", "/next", "localhost", "") {
					t.Errorf("request after the body: %q", bodies[1])
				}
			case tc.refused != nil:
				ok := false
				for _, st := range tc.refused {
					ok = ok || status == st
				}
				if !ok {
					t.Errorf("status %d, want one of %v (raw %q)", status, tc.refused, raw)
				}
				if n := calls.n.Load() - before; n != 0 {
					t.Errorf("the handler was called %d times", n)
				}
				resps, _ := parseAll(t, raw, "POST")
				if !hasClose(resps[0]) {
					t.Errorf("no Connection: close")
				}
			default:
				// Not a Transfer-Encoding field: a POST without a body,
				// then the chunk bytes are a malformed request.
				resps, bodies := parseAll(t, raw, "POST", "GET")
				if resps[0].StatusCode != 200 || bodies[0] != echoBody("POST", "/te", "localhost", "") {
					t.Errorf("first answer %d %q", resps[0].StatusCode, bodies[0])
				}
				if resps[1].StatusCode != 400 {
					t.Errorf("chunk bytes as a request: %d, want 400", resps[1].StatusCode)
				}
			}
		})
	}
	mustServe(t, s)
}

// TestHostileManyClients: hostile clients interleaved with good ones, on
// connections open at the same time, do not disturb the good ones.
func TestHostileManyClients(t *testing.T) {
	var calls counting
	s := testserver.Start(t, &phttp.Server{Handler: calls.handle})
	good := s.Dial(t, 10*time.Second)
	for i, tc := range hostileCases {
		c := s.Dial(t, 5*time.Second)
		c.Write([]byte(tc.req))
		req := fmt.Sprintf("GET /good%d HTTP/1.1\r\nHost: localhost\r\n\r\n", i)
		if _, err := good.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		raw, _ := readToEnd(c)
		if got := testserver.StatusOf(raw); got != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.status)
		}
	}
	good.Write([]byte("GET /end HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
	raw, _ := readToEnd(good)
	methods := make([]string, len(hostileCases)+1)
	for i := range methods {
		methods[i] = "GET"
	}
	_, bodies := parseAll(t, raw, methods...)
	for i := range hostileCases {
		if want := echoBody("GET", fmt.Sprintf("/good%d", i), "localhost", ""); bodies[i] != want {
			t.Fatalf("good answer %d: %q, want %q", i, bodies[i], want)
		}
	}
	if !strings.Contains(bodies[len(hostileCases)], "/end") {
		t.Errorf("last good answer %q", bodies[len(hostileCases)])
	}
}

// TestHostileAfterGood: a refusal pipelined behind good requests comes after
// their answers, in order.
func TestHostileAfterGood(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: echo})
	for _, tc := range hostileCases {
		raw, _ := exchange(t, s, get("/good1")+get("/good2")+tc.req, 5*time.Second)
		resps, bodies := parseAll(t, raw, "GET", "GET", "GET")
		if bodies[0] != echoBody("GET", "/good1", "localhost", "") || bodies[1] != echoBody("GET", "/good2", "localhost", "") {
			t.Errorf("%s: good answers %q", tc.name, bodies[:2])
		}
		if resps[2].StatusCode != tc.status || !hasClose(resps[2]) {
			t.Errorf("%s: refusal %d close=%v, want %d with Connection: close", tc.name, resps[2].StatusCode, hasClose(resps[2]), tc.status)
		}
	}
}
