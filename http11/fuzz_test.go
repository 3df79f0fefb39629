package http11

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// FuzzParse compares Parser (and ChunkedDecoder for bodies) with net/http's
// http.ReadRequest followed by the checks net/http's server applies before
// calling a handler (version, Host, header names, Expect). Where both
// accept a complete request they must agree on the method, the
// request-target, every field, the framing and the body.
//
// They may disagree on acceptance only where this package is deliberately
// stricter than net/http (we reject, it accepts):
//   - bare LF as a line ending, anywhere, and bare CR;
//   - an empty request-target (net/http takes "CONNECT  HTTP/1.1");
//   - request-target bytes outside 0x21–0x7E, and '%' not followed by two
//     hex digits (net/http does not check escapes in the query);
//   - more than one Content-Length, even with equal values;
//   - Content-Length together with Transfer-Encoding (net/http drops the
//     Content-Length), and Transfer-Encoding on HTTP/1.0 (net/http ignores
//     it);
//   - no Host on an HTTP/1.1 CONNECT (net/http exempts CONNECT);
//   - a Host outside the uri-host[:port] grammar (net/http only checks
//     bytes);
//   - any Expect other than exactly 100-continue (net/http looks for the
//     token in the first Expect field only);
//   - chunk extensions checked against their grammar, whitespace after a
//     chunk size without an extension, 16 significant hex digits, chunk
//     lines over 4 KiB with the CRLF (net/http: 4 KiB without), trailer
//     fields with the header rules (net/http allows obs-fold and spaces in
//     trailer names), trailers over MaxTrailerBytes;
//   - heads over MaxHeaderBytes or MaxFields (net/http's server allows
//     1 MiB and counts no fields).
//
// or deliberately more lenient (we accept, it rejects):
//   - empty lines before the request line (RFC 9112 §2.2 allows skipping);
//   - request-targets that net/url rejects: the target's form and URL
//     syntax are the caller's to judge;
//   - whitespace before a chunk extension's ';' (RFC 9112 §7.1.1 allows
//     BWS there; net/http reports "invalid byte in chunk length");
//   - chunk sizes with more than 16 digits of leading zeros, chunked
//     bodies with much framing and little data (net/http's "too much
//     non-data" heuristic), trailers beyond net/http's 4 KiB look-ahead;
//   - a Trailer field naming Content-Length, Transfer-Encoding or Trailer
//     (we do not interpret Trailer).
//
// Anything else is a bug on one side, and the fuzz target fails.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o := runOurs(data)
		checkPieces(t, data)
		th := runTheirs(data)

		switch {
		case o.kind == rejected && th.kind != rejected:
			if !intendedStrictness(data, o, th) {
				t.Fatalf("we reject (%v at %d, %q) what net/http %s: %q", o.err, o.pos,
					around(data, o.pos), th.kind, data)
			}
		case o.kind == accepted && th.kind == rejected:
			if !intendedLeniency(data, th.err) {
				t.Fatalf("we accept what net/http rejects (%v): %q", th.err, data)
			}
		case o.kind == accepted && th.kind == incomplete,
			o.kind == incomplete && th.kind == accepted:
			t.Fatalf("we say %s, net/http says %s (%v): %q", o.kind, th.kind, th.err, data)
		case o.kind == accepted && th.kind == accepted:
			compare(t, data, o, th)
		}
	})
}

type outcome int

const (
	accepted outcome = iota
	incomplete
	rejected
)

func (k outcome) String() string {
	return [...]string{"accepts", "needs more", "rejects"}[k]
}

type oursResult struct {
	kind outcome
	err  *Error
	pos  int // the offending byte when rejected
	n    int // the head's length, when it was accepted
	head result
	h    Head
	body []byte
}

// runOurs parses a whole request, head then body, as the root package would.
func runOurs(data []byte) oursResult {
	var o oursResult
	var p Parser
	p.Reset(&o.h)
	n, err := p.Parse(data)
	switch {
	case err != nil:
		o.kind, o.err, o.pos = rejected, err.(*Error), p.pos
		return o
	case n == 0:
		o.kind = incomplete
		return o
	}
	o.head, o.n = toResult(data, n, &o.h), n
	rest := data[n:]
	switch {
	case o.h.Chunked:
		var d ChunkedDecoder
		body, used, done, err := decodeFeed(&d, string(rest), nil)
		switch {
		case err != nil:
			o.kind, o.err, o.pos = rejected, err.(*Error), n+used
			return o
		case !done:
			o.kind = incomplete
			return o
		}
		o.body = []byte(body)
	case o.h.ContentLength > int64(len(rest)):
		o.kind = incomplete
		return o
	case o.h.ContentLength > 0:
		o.body = rest[:o.h.ContentLength]
	}
	o.kind = accepted
	return o
}

// checkPieces parses the head in one piece and fed in pieces (a byte at a
// time for inputs up to 4 KiB) and wants the same from both.
func checkPieces(t *testing.T, data []byte) {
	parse := func(step int) (result, error) {
		var h Head
		var p Parser
		p.Reset(&h)
		for k := min(step, len(data)); ; k = min(k+step, len(data)) {
			n, err := p.Parse(data[:k])
			if err != nil {
				return result{}, err
			}
			if n > 0 {
				return toResult(data, n, &h), nil
			}
			if k == len(data) {
				return result{}, nil
			}
		}
	}
	want, wantErr := parse(len(data) + 1)
	step := 1
	if len(data) > 4096 {
		step = len(data) / 7
	}
	if got, err := parse(step); got != want || err != wantErr {
		t.Fatalf("fed in pieces of %d: %+v, %v; in one: %+v, %v", step, got, err, want, wantErr)
	}
}

type theirsResult struct {
	kind outcome
	err  error
	req  *http.Request
	body []byte
}

func runTheirs(data []byte) theirsResult {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return theirsResult{kind: incomplete, err: err}
		}
		return theirsResult{kind: rejected, err: err}
	}
	if err := serverChecks(req, data); err != nil {
		return theirsResult{kind: rejected, err: err, req: req}
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		if err == io.ErrUnexpectedEOF || err.Error() == "http: unexpected EOF reading trailer" {
			return theirsResult{kind: incomplete, err: err, req: req}
		}
		return theirsResult{kind: rejected, err: err, req: req}
	}
	return theirsResult{kind: accepted, req: req, body: body}
}

// serverChecks is what net/http's server does between ReadRequest and the
// handler (server.go: readRequest and serve), minus what needs a conn.
func serverChecks(req *http.Request, data []byte) error {
	if req.ProtoMajor != 1 {
		return errors.New("505 unsupported protocol version")
	}
	// ReadRequest drops Host from Header; the server's internal readRequest
	// does not. Read the fields again the same way to see them.
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	if _, err := tp.ReadLine(); err != nil {
		return err
	}
	mime, err := tp.ReadMIMEHeader()
	if err != nil {
		return err
	}
	hosts, haveHost := mime["Host"]
	if req.ProtoAtLeast(1, 1) && (!haveHost || len(hosts) == 0) && req.Method != "CONNECT" {
		return errors.New("missing required Host header")
	}
	if len(hosts) == 1 && !netHTTPValidHost(hosts[0]) {
		return errors.New("malformed Host header")
	}
	for k := range req.Header {
		if !allToken([]byte(k)) {
			return errors.New("invalid header name")
		}
	}
	if e := req.Header.Get("Expect"); e != "" && !hasToken(e, "100-continue") {
		return errors.New("417 expectation failed")
	}
	return nil
}

// netHTTPValidHost is golang.org/x/net/http/httpguts.ValidHostHeader.
func netHTTPValidHost(h string) bool {
	for i := 0; i < len(h); i++ {
		if c := h[i]; !isAlnum(c) && !strings.ContainsRune("!$%&()*+,-.:;=['\\]_~", rune(c)) {
			return false
		}
	}
	return true
}

// hasToken is net/http's: token found in v at comma or space boundaries.
func hasToken(v, token string) bool {
	for sp := 0; sp+len(token) <= len(v); sp++ {
		if sp > 0 && !strings.ContainsRune(" ,\t", rune(v[sp-1])) {
			continue
		}
		if end := sp + len(token); end != len(v) && !strings.ContainsRune(" ,\t;", rune(v[end])) {
			continue
		}
		if strings.EqualFold(v[sp:sp+len(token)], token) {
			return true
		}
	}
	return false
}

// intendedStrictness reports whether our rejection of something net/http
// accepts, or has not finished reading, is one of the documented
// differences, checked against the offending byte where one names it.
func intendedStrictness(data []byte, o oursResult, th theirsResult) bool {
	pos := o.pos
	at := func(i int) int {
		if i < 0 || i >= len(data) {
			return -1
		}
		return int(data[i])
	}
	if th.kind == incomplete {
		if !bytes.Contains(data[pos:], []byte("\n")) {
			// A line net/http has not seen the end of. It judges lines
			// whole, and sometimes not even then: a last line without LF
			// that exactly fills its 4 KiB bufio.Reader comes back as EOF.
			// A prefix wrongly refused here would also be refused whole,
			// where net/http does judge it, so nothing hides behind this.
			return true
		}
		if o.err == errChunkCRLF && len(data)-pos < 2 {
			return true // net/http reads the CRLF after chunk data as two bytes
		}
		// net/http judges these only once the head is complete (in
		// readTransfer or in the server), so with a truncated head it is
		// still waiting for bytes we have already refused.
		switch o.err {
		case errSpaceColon, errCLInvalid, errCLDuplicate, errTEInvalid, errTENotLast, errTETwice,
			ErrNotImplemented, errTEHTTP10, errCLAndTE, errHostMissing, errHostDuplicate,
			errHostInvalid, ErrVersion, ErrExpectation:
			return true
		}
	}
	switch o.err {
	case errBareLF:
		return at(pos) == '\n' && at(pos-1) != '\r'
	case errBareCR:
		return at(pos-1) == '\r' && at(pos) != '\n'
	case errObsFold:
		return at(pos-1) == '\n' && (at(pos) == ' ' || at(pos) == '\t')
	case errTarget:
		return at(pos) >= 0x80
	case errRequestLine:
		// net/http takes "CONNECT  HTTP/1.1" (no target at all) as a
		// CONNECT to the empty authority.
		return pos == len("CONNECT ") && bytes.HasPrefix(data, []byte("CONNECT  "))
	case errPercent:
		return hexTab[data[pos]] < 0 && (at(pos-1) == '%' || at(pos-2) == '%')
	case errCLDuplicate, errCLAndTE, errHostInvalid, ErrExpectation,
		ErrHeaderTooLarge, ErrURITooLong,
		errChunkExt, errChunkSizeLarge, errChunkLine, errTrailer, errTrailerTooLarge:
		return true
	case errTEHTTP10:
		return th.req != nil && th.req.ProtoMinor == 0
	case errHostMissing:
		return th.req != nil && th.req.Method == "CONNECT"
	}
	return false
}

// intendedLeniency reports whether net/http's rejection of something we
// accept is one of the documented differences.
func intendedLeniency(data []byte, err error) bool {
	var ue *url.Error
	msg := err.Error()
	return bytes.HasPrefix(data, []byte("\r\n")) ||
		errors.As(err, &ue) ||
		strings.Contains(msg, "chunk length too large") ||
		strings.Contains(msg, "invalid byte in chunk length") && bwsBeforeExt.Match(data) ||
		strings.Contains(msg, "too much non-data") ||
		strings.Contains(msg, "suspiciously long trailer") ||
		strings.Contains(msg, "bad trailer key")
}

var bwsBeforeExt = regexp.MustCompile(`[0-9a-fA-F][ \t]+;`)

func compare(t *testing.T, data []byte, o oursResult, th theirsResult) {
	t.Helper()
	req, h := th.req, &o.h
	fail := func(what string, ours, theirs any) {
		t.Helper()
		t.Fatalf("%s: ours %v, net/http %v; input %q", what, ours, theirs, data)
	}
	if o.head.Method != req.Method {
		fail("method", o.head.Method, req.Method)
	}
	if o.head.Target != req.RequestURI {
		fail("target", o.head.Target, req.RequestURI)
	}
	if minor := min(req.ProtoMinor, 1); h.Minor != minor {
		fail("minor version", h.Minor, minor)
	}
	// Fields, by canonical name, after the edits ReadRequest makes.
	ours := http.Header{}
	for _, f := range h.Fields {
		name := textproto.CanonicalMIMEHeaderKey(string(f.Name.Bytes(data)))
		ours[name] = append(ours[name], string(f.Value.Bytes(data)))
	}
	delete(ours, "Transfer-Encoding")
	delete(ours, "Host")
	if h.Chunked {
		delete(ours, "Trailer")
	}
	if p := ours["Pragma"]; len(p) > 0 && p[0] == "no-cache" && ours["Cache-Control"] == nil {
		ours["Cache-Control"] = []string{"no-cache"}
	}
	if !reflect.DeepEqual(ours, req.Header) {
		fail("fields", ours, req.Header)
	}
	cl := h.ContentLength
	if cl < 0 && !h.Chunked {
		cl = 0 // net/http: a request without framing has no body
	}
	if cl != req.ContentLength {
		fail("content length", cl, req.ContentLength)
	}
	if h.Chunked != (len(req.TransferEncoding) > 0) {
		fail("chunked", h.Chunked, req.TransferEncoding)
	}
	closes := h.Close || h.Minor == 0 && !h.KeepAlive
	if closes != req.Close {
		fail("close", closes, req.Close)
	}
	if req.URL.Host == "" && string(h.Host.Bytes(data)) != req.Host {
		fail("host", string(h.Host.Bytes(data)), req.Host)
	}
	if exp := req.ProtoAtLeast(1, 1) && hasToken(req.Header.Get("Expect"), "100-continue"); h.Expect100 != exp {
		fail("expect 100-continue", h.Expect100, exp)
	}
	if !bytes.Equal(o.body, th.body) {
		fail("body", o.body, th.body)
	}
}

func around(data []byte, pos int) []byte {
	return data[max(0, pos-8):min(len(data), pos+8)]
}

func fuzzSeeds() []string {
	seeds := []string{
		browserRequest,
		"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=\"q\"\r\nhello\r\n0\r\nT: v\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.0\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc",
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nPragma: no-cache\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"GET /\r\n\r\n",
		// Smuggling classics.
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000000000001\r\nx\r\n0\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
		"GET http://a/b HTTP/1.1\r\nHost: c\r\n\r\n",
		"CONNECT a:443 HTTP/1.1\r\n\r\n",
		"GET /a%zz?%zz HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
		"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		// Found by FuzzParse: an unterminated line of exactly 4 KiB, which
		// net/http reports as EOF.
		"0 0 HQ" + strings.Repeat("\xf6", 4096-8) + "\r0",
	}
	for _, tc := range validHeads {
		seeds = append(seeds, tc.in)
	}
	for _, tc := range invalidHeads {
		seeds = append(seeds, tc.bad, tc.good)
	}
	for _, tc := range validChunked {
		seeds = append(seeds, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"+tc.in)
	}
	return seeds
}

// FuzzChunked feeds random bytes to the decoder in random pieces and wants
// what one piece gives: same payload, same bytes used, same end, same error.
func FuzzChunked(f *testing.F) {
	for _, tc := range validChunked {
		f.Add([]byte(tc.in), uint16(3), uint16(7))
	}
	for _, tc := range invalidChunked {
		if len(tc.bad) < 512 {
			f.Add([]byte(tc.bad), uint16(1), uint16(2))
			f.Add([]byte(tc.good), uint16(5), uint16(1))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, a, b uint16) {
		var d ChunkedDecoder
		d.MaxTrailerBytes = 256
		want, wantUsed, wantDone, wantErr := decodeFeed(&d, string(data), nil)
		if wantUsed > len(data) {
			t.Fatalf("used %d of %d bytes", wantUsed, len(data))
		}
		// Cuts from the two numbers: a fixed one and a stride.
		var cuts []int
		if len(data) > 0 {
			if c := int(a) % (len(data) + 1); c > 0 {
				cuts = append(cuts, c)
			}
			for k := int(a)%(len(data)+1) + int(b)%64 + 1; k < len(data); k += int(b)%64 + 1 {
				cuts = append(cuts, k)
			}
		}
		d.Reset()
		got, used, done, err := decodeFeed(&d, string(data), cuts)
		if got != want || used != wantUsed || done != wantDone || err != wantErr {
			t.Fatalf("cuts %v: %q %d %v %v; one piece: %q %d %v %v", cuts, got, used, done, err,
				want, wantUsed, wantDone, wantErr)
		}
		// The payload can never be longer than the framing that carried it.
		if len(want) > wantUsed {
			t.Fatalf("payload %d bytes from %d", len(want), wantUsed)
		}
	})
}
