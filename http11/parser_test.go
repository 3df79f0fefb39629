package http11

import (
	"errors"
	"strings"
	"testing"
)

const get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"

var validHeads = []struct {
	name string
	in   string
	rest int // bytes after the head
	want result
}{
	{"minimal", get, 0, result{Method: "GET", Target: "/", Minor: 1, Fields: "Host: a\n",
		CL: -1, Host: "a", HasHost: true}},
	{"http/1.0 without host", "GET /x HTTP/1.0\r\n\r\n", 0, result{Method: "GET", Target: "/x", CL: -1}},
	{"http/1.0 with host", "GET /x HTTP/1.0\r\nHost: h\r\n\r\n", 0, result{Method: "GET", Target: "/x",
		Fields: "Host: h\n", CL: -1, Host: "h", HasHost: true}},
	{"http/1.9 is 1", "GET / HTTP/1.9\r\nHost: a\r\n\r\n", 0, result{Method: "GET", Target: "/", Minor: 1,
		Fields: "Host: a\n", CL: -1, Host: "a", HasHost: true}},
	{"leading empty lines", "\r\n\r\n" + get, 0, result{Method: "GET", Target: "/", Minor: 1,
		Fields: "Host: a\n", CL: -1, Host: "a", HasHost: true}},
	{"absolute-form", "GET http://h:8/p?q HTTP/1.1\r\nHost: h:8\r\n\r\n", 0, result{Method: "GET",
		Target: "http://h:8/p?q", Minor: 1, Fields: "Host: h:8\n", CL: -1, Host: "h:8", HasHost: true}},
	{"authority-form", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 0, result{Method: "CONNECT",
		Target: "h:443", Minor: 1, Fields: "Host: h:443\n", CL: -1, Host: "h:443", HasHost: true}},
	{"asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0, result{Method: "OPTIONS", Target: "*",
		Minor: 1, Fields: "Host: a\n", CL: -1, Host: "a", HasHost: true}},
	{"any token method", "m-Search!#$%&'*+.^_`|~ / HTTP/1.1\r\nHost: a\r\n\r\n", 0,
		result{Method: "m-Search!#$%&'*+.^_`|~", Target: "/", Minor: 1, Fields: "Host: a\n", CL: -1,
			Host: "a", HasHost: true}},
	{"visible target bytes", "GET /a%20b%7e?x=\"<>{}|\\^`[]@:;,=+*)('&$!~#f HTTP/1.1\r\nHost: a\r\n\r\n", 0,
		result{Method: "GET", Target: "/a%20b%7e?x=\"<>{}|\\^`[]@:;,=+*)('&$!~#f", Minor: 1,
			Fields: "Host: a\n", CL: -1, Host: "a", HasHost: true}},
	{"ows trimmed", "GET / HTTP/1.1\r\nHost: \t a \t\r\nX:b\r\nY:  c d  \r\n\r\n", 0, result{Method: "GET",
		Target: "/", Minor: 1, Fields: "Host: a\nX: b\nY: c d\n", CL: -1, Host: "a", HasHost: true}},
	{"empty values", "GET / HTTP/1.1\r\nHost:\r\nX-E: \t \r\nY:\r\n\r\n", 0, result{Method: "GET",
		Target: "/", Minor: 1, Fields: "Host: \nX-E: \nY: \n", CL: -1, HasHost: true}},
	{"obs-text value", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9 \xff\r\n\r\n", 0, result{Method: "GET",
		Target: "/", Minor: 1, Fields: "Host: a\nX: caf\xc3\xa9 \xff\n", CL: -1, Host: "a", HasHost: true}},
	{"content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12345\r\n\r\nbody", 4, result{
		Method: "POST", Target: "/", Minor: 1, Fields: "Host: a\nContent-Length: 12345\n", CL: 12345,
		Host: "a", HasHost: true}},
	{"content-length zero", "POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 0\r\n\r\n", 0, result{Method: "POST",
		Target: "/", Minor: 1, Fields: "Host: a\ncontent-length: 0\n", CL: 0, Host: "a", HasHost: true}},
	{"content-length max", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 009223372036854775807\r\n\r\n", 0,
		result{Method: "POST", Target: "/", Minor: 1, Fields: "Host: a\nContent-Length: 009223372036854775807\n",
			CL: 1<<63 - 1, Host: "a", HasHost: true}},
	{"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: CHunked \r\nHost: a\r\n\r\n5\r\n", 3, result{
		Method: "POST", Target: "/", Minor: 1, Fields: "Transfer-Encoding: CHunked\nHost: a\n", CL: -1,
		Chunked: true, Host: "a", HasHost: true}},
	{"connection tokens", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive ,\tUPGRADE\r\nconnection: ,close,\r\n\r\n", 0,
		result{Method: "GET", Target: "/", Minor: 1,
			Fields: "Host: a\nConnection: Keep-Alive ,\tUPGRADE\nconnection: ,close,\n", CL: -1,
			Host: "a", HasHost: true, Close: true, KeepAlive: true, Upgrade: true}},
	{"connection other tokens", "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed, keep-alive2, x-upgrade\r\n\r\n", 0,
		result{Method: "GET", Target: "/", Minor: 1,
			Fields: "Host: a\nConnection: closed, keep-alive2, x-upgrade\n", CL: -1, Host: "a", HasHost: true}},
	{"expect", "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n", 0, result{Method: "PUT",
		Target: "/", Minor: 1, Fields: "Host: a\nExpect: 100-Continue\n", CL: -1, Host: "a", HasHost: true,
		Exp: true}},
	{"expect ignored on 1.0", "PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", 0, result{Method: "PUT",
		Target: "/", Fields: "Expect: 100-continue\n", CL: -1}},
	{"expect empty", "PUT / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n", 0, result{Method: "PUT",
		Target: "/", Minor: 1, Fields: "Host: a\nExpect: \n", CL: -1, Host: "a", HasHost: true}},
	{"host ipv6", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 0, result{Method: "GET", Target: "/", Minor: 1,
		Fields: "Host: [::1]:8080\n", CL: -1, Host: "[::1]:8080", HasHost: true}},
	{"host ipvfuture", "GET / HTTP/1.1\r\nHost: [v1.a:b]\r\n\r\n", 0, result{Method: "GET", Target: "/", Minor: 1,
		Fields: "Host: [v1.a:b]\n", CL: -1, Host: "[v1.a:b]", HasHost: true}},
	{"host reg-name", "GET / HTTP/1.1\r\nHost: a-b.c_d~e!$&'()*+,;=%41:\r\n\r\n", 0, result{Method: "GET",
		Target: "/", Minor: 1, Fields: "Host: a-b.c_d~e!$&'()*+,;=%41:\n", CL: -1,
		Host: "a-b.c_d~e!$&'()*+,;=%41:", HasHost: true}},
	{"host ipv4 port", "GET / HTTP/1.1\r\nHost: 127.0.0.1:65535\r\n\r\n", 0, result{Method: "GET",
		Target: "/", Minor: 1, Fields: "Host: 127.0.0.1:65535\n", CL: -1, Host: "127.0.0.1:65535", HasHost: true}},
	{"pipelined", get + get, len(get), result{Method: "GET", Target: "/", Minor: 1,
		Fields: "Host: a\n", CL: -1, Host: "a", HasHost: true}},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validHeads {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			want.N = len(tc.in) - tc.rest
			got, err := parseOnce(tc.in, 0)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			checkSplits(t, tc.in, 0)
		})
	}
}

// Each bad head comes with its valid neighbour: the same bytes with the
// fault repaired, so a test cannot pass by rejecting everything nearby.
var invalidHeads = []struct {
	name      string
	bad, good string
	err       *Error
}{
	{"bare LF request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", get, errBareLF},
	{"bare LF after method", "GET\n", get, errBareLF},
	{"bare LF field", "GET / HTTP/1.1\r\nHost: a\n\r\n", get, errBareLF},
	{"bare LF end", "GET / HTTP/1.1\r\nHost: a\r\n\n", get, errBareLF},
	{"bare LF leading", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n" + get, errBareLF},
	{"bare LF in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\nb\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: a b\r\n\r\n", errBareLF},
	{"bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: a b\r\n\r\n", errBareCR},
	{"bare CR end", "GET / HTTP/1.1\r\nHost: a\r\n\rX", get, errBareCR},
	{"bare CR leading", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n" + get, errBareCR},
	{"bare CR version", "GET / HTTP/1.1\rHost: a\r\n\r\n", get, errBareCR},
	{"CR in target", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", get, errRequestLine},
	{"no version", "GET /\r\n\r\n", get, errRequestLine},
	{"two spaces before target", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", get, errRequestLine},
	{"two spaces before version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", get, errHTTPVersion},
	{"space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", get, errHTTPVersion},
	{"tab separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", get, errMethod},
	{"method not token", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", "GE-T / HTTP/1.1\r\nHost: a\r\n\r\n", errMethod},
	{"empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", get, errMethod},
	{"NUL first", "\x00GET / HTTP/1.1\r\nHost: a\r\n\r\n", get, errMethod},
	{"DEL in target", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", "GET /~ HTTP/1.1\r\nHost: a\r\n\r\n", errTarget},
	{"NUL in target", "GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", get, errTarget},
	{"tab in target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", "GET /a%09b HTTP/1.1\r\nHost: a\r\n\r\n", errTarget},
	{"utf-8 in target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", "GET /caf%C3%A9 HTTP/1.1\r\nHost: a\r\n\r\n", errTarget},
	{"percent short", "GET /a%2 HTTP/1.1\r\nHost: a\r\n\r\n", "GET /a%2f HTTP/1.1\r\nHost: a\r\n\r\n", errPercent},
	{"percent not hex", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", "GET /a%aA HTTP/1.1\r\nHost: a\r\n\r\n", errPercent},
	{"percent in query", "GET /?q=%g0 HTTP/1.1\r\nHost: a\r\n\r\n", "GET /?q=%F0 HTTP/1.1\r\nHost: a\r\n\r\n", errPercent},
	{"percent at end", "GET /% HTTP/1.1\r\nHost: a\r\n\r\n", "GET /%25 HTTP/1.1\r\nHost: a\r\n\r\n", errPercent},
	{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", get, ErrVersion},
	{"HTTP/0.9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", get, ErrVersion},
	{"HTTP/1.10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", get, errHTTPVersion},
	{"HTTP/1", "GET / HTTP/1\r\nHost: a\r\n\r\n", get, errHTTPVersion},
	{"HTTP/3", "GET / HTTP/3\r\nHost: a\r\n\r\n", get, errHTTPVersion},
	{"lower-case http", "GET / http/1.1\r\nHost: a\r\n\r\n", get, errHTTPVersion},
	{"HTTP/1.x", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", get, errHTTPVersion},
	{"HTTP/2.0x", "GET / HTTP/2.0x\r\nHost: a\r\n\r\n", get, errHTTPVersion},
	{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: a b\r\n\r\n", errObsFold},
	{"obs-fold tab", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n", errObsFold},
	{"obs-fold judged before the field", te("\r\n chunked"), te("chunked"), errObsFold},
	{"obs-fold after content-length", cl("5\r\n 5"), cl("5"), errObsFold},
	{"empty connect target", "CONNECT  HTTP/1.1\r\nHost: a\r\n\r\n", "CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n", errRequestLine},
	{"space after request line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", get, errObsFold},
	{"empty name", "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nk: v\r\n\r\n", errFieldName},
	{"space in name", "GET / HTTP/1.1\r\nHost: a\r\nX Y: v\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX-Y: v\r\n\r\n", errSpaceColon},
	{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", get, errSpaceColon},
	{"tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", get, errSpaceColon},
	{"name not token", "GET / HTTP/1.1\r\nHost: a\r\nX(: v\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX*: v\r\n\r\n", errFieldName},
	{"utf-8 name", "GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: v\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nXe: v\r\n\r\n", errFieldName},
	{"no colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nNoColon:\r\n\r\n", errNoColon},
	{"NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x80b\r\n\r\n", errFieldValue},
	{"DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: \x7f\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: ~\r\n\r\n", errFieldValue},
	{"VT in value", "GET / HTTP/1.1\r\nHost: a\r\nX: \v\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: \t\r\n\r\n", errFieldValue},
	{"ESC in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x1bb\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: a b\r\n\r\n", errFieldValue},

	{"content-length letters", cl("abc"), cl("123"), errCLInvalid},
	{"content-length plus", cl("+5"), cl("5"), errCLInvalid},
	{"content-length minus", cl("-1"), cl("1"), errCLInvalid},
	{"content-length hex", cl("0x10"), cl("010"), errCLInvalid},
	{"content-length inner space", cl("5 5"), cl("55"), errCLInvalid},
	{"content-length list", cl("5, 5"), cl("5"), errCLInvalid},
	{"content-length empty", cl(""), cl("0"), errCLInvalid},
	{"content-length overflow", cl("9223372036854775808"), cl("9223372036854775807"), errCLInvalid},
	{"content-length huge", cl("99999999999999999999999"), cl("9999999999999999"), errCLInvalid},
	{"content-length duplicate", cl("5\r\nContent-Length: 5"), cl("5\r\nContent-Type: 5"), errCLDuplicate},

	{"te gzip", te("gzip"), te("chunked"), ErrNotImplemented},
	{"te identity", te("identity"), te("chunked"), ErrNotImplemented},
	{"te gzip chunked", te("gzip, chunked"), te("chunked"), ErrNotImplemented},
	{"te two fields gzip", te("gzip\r\nTransfer-Encoding: chunked"), te("chunked\r\nX: gzip"), ErrNotImplemented},
	{"te chunked gzip", te("chunked, gzip"), te("chunked"), errTENotLast},
	{"te chunked twice", te("chunked, chunked"), te("chunked"), errTETwice},
	{"te chunked two fields", te("chunked\r\nTransfer-Encoding: chunked"), te("chunked\r\nX: chunked"), errTETwice},
	{"te params", te("chunked;q=1"), te("chunked"), errTEInvalid},
	{"te trailing comma", te("chunked,"), te("chunked"), errTEInvalid},
	{"te leading comma", te(", chunked"), te("chunked"), errTEInvalid},
	{"te empty", te(""), te("chunked"), errTEInvalid},
	{"te quoted", te(`"chunked"`), te("chunked"), errTEInvalid},
	{"te on 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "POST / HTTP/1.0\r\nContent-Length: 1\r\n\r\n", errTEHTTP10},
	{"cl and te", te("chunked\r\nContent-Length: 5"), te("chunked\r\nContent-Type: 5"), errCLAndTE},
	{"te and cl", cl("5\r\nTransfer-Encoding: chunked"), cl("5\r\nTransfer-Encodin: chunked"), errCLAndTE},

	{"host missing", "GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.0\r\n\r\n", errHostMissing},
	{"host missing connect", "CONNECT a:1 HTTP/1.1\r\n\r\n", "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n", errHostMissing},
	{"host twice", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", get, errHostDuplicate},
	{"host twice on 1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", "GET / HTTP/1.0\r\nHost: a\r\n\r\n", errHostDuplicate},
	{"host space", host("a b"), host("a-b"), errHostInvalid},
	{"host slash", host("a/b"), host("a.b"), errHostInvalid},
	{"host userinfo", host("u@a"), host("u.a"), errHostInvalid},
	{"host two colons", host("a:1:2"), host("a:12"), errHostInvalid},
	{"host bad port", host("a:8x"), host("a:8"), errHostInvalid},
	{"host unclosed literal", host("[::1"), host("[::1]"), errHostInvalid},
	{"host empty literal", host("[]"), host("[::]"), errHostInvalid},
	{"host after literal", host("[::1]x"), host("[::1]:1"), errHostInvalid},
	{"host bad percent", host("a%zz"), host("a%aa"), errHostInvalid},
	{"host short percent", host("a%a"), host("a%aa"), errHostInvalid},
	{"host utf-8", host("caf\xc3\xa9"), host("xn--caf-dma"), errHostInvalid},

	{"expect other", expect("foo"), expect("100-continue"), ErrExpectation},
	{"expect list", expect("100-continue, foo"), expect("100-continue"), ErrExpectation},
	{"expect 100-continue=1", expect("100-continue=1"), expect("100-CONTINUE"), ErrExpectation},
}

func cl(v string) string     { return "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + v + "\r\n\r\n" }
func te(v string) string     { return "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + v + "\r\n\r\n" }
func host(v string) string   { return "GET / HTTP/1.1\r\nHost: " + v + "\r\n\r\n" }
func expect(v string) string { return "PUT / HTTP/1.1\r\nHost: a\r\nExpect: " + v + "\r\n\r\n" }

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidHeads {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseOnce(tc.bad, 0)
			if err != tc.err {
				t.Fatalf("Parse(%q) = %v, want %v", tc.bad, err, tc.err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != tc.err.Status {
				t.Fatalf("error %v is not an *Error with status %d", err, tc.err.Status)
			}
			checkSplits(t, tc.bad, 0)
			if _, err := parseOnce(tc.good, 0); err != nil {
				t.Fatalf("neighbour %q: %v", tc.good, err)
			}
			checkSplits(t, tc.good, 0)
		})
	}
}

func TestErrorClasses(t *testing.T) {
	for _, c := range []struct {
		err, class *Error
	}{
		{errBareLF, ErrBadRequest}, {errCLAndTE, ErrBadRequest}, {errChunkSize, ErrBadRequest},
		{errTrailerTooLarge, ErrHeaderTooLarge}, {ErrVersion, ErrVersion},
	} {
		if !errors.Is(c.err, c.class) {
			t.Errorf("errors.Is(%v, %v) = false", c.err, c.class)
		}
	}
	if errors.Is(errBareLF, ErrHeaderTooLarge) || errors.Is(errBareLF, errBareCR) ||
		errors.Is(ErrBadRequest, errBareLF) {
		t.Error("errors.Is matches across reasons or classes")
	}
	if got := errCLDuplicate.Error(); got != "400 duplicate Content-Length" {
		t.Errorf("Error() = %q", got)
	}
}

func TestParseLimit(t *testing.T) {
	long := "GET /" + strings.Repeat("a", 100) + " HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", 100) + "\r\n\r\n"
	targetEnd := strings.Index(long, " HTTP")
	for _, tc := range []struct {
		name string
		in   string
		max  int
		err  error
	}{
		{"exact", long, len(long), nil},
		{"one short", long, len(long) - 1, ErrHeaderTooLarge},
		{"in target", long, targetEnd, ErrURITooLong},
		{"at target start", long, len("GET "), ErrURITooLong},
		{"in percent", "GET /%41%42 HTTP/1.1\r\n", len("GET /%4"), ErrURITooLong},
		{"target just fits", long, targetEnd + 1, ErrHeaderTooLarge},
		{"in method", "GETGETGET / HTTP/1.1\r\n", 4, ErrHeaderTooLarge},
		{"leading CRLF count", "\r\n\r\n" + get, len(get) + 4, nil},
		{"leading CRLF over", "\r\n\r\n" + get, len(get) + 3, ErrHeaderTooLarge},
		{"only CRLF", strings.Repeat("\r\n", 100), 64, ErrHeaderTooLarge},
		{"body beyond limit", get + strings.Repeat("x", 100), len(get), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseOnce(tc.in, tc.max)
			if err != tc.err {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
			checkSplits(t, tc.in, tc.max)
		})
	}
	// The field count is bounded too.
	fields := func(k int) string {
		return "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("a:\r\n", k-1) + "\r\n"
	}
	var p Parser
	var h Head
	for _, tc := range []struct {
		max, k int
		err    error
	}{{0, DefaultMaxFields, nil}, {0, DefaultMaxFields + 1, errTooManyFields}, {3, 3, nil}, {3, 4, errTooManyFields}} {
		p.MaxFields = tc.max
		p.Reset(&h)
		if _, err := p.Parse([]byte(fields(tc.k))); err != tc.err {
			t.Errorf("MaxFields %d, %d fields: got %v, want %v", tc.max, tc.k, err, tc.err)
		}
	}
	// The default applies when MaxHeaderBytes is 0.
	big := "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", DefaultMaxHeaderBytes) + "\r\n\r\n"
	if _, err := parseOnce(big, 0); err != ErrHeaderTooLarge {
		t.Fatalf("default limit: got %v", err)
	}
	// And a head under the limit is not refused while it is incomplete.
	if _, err := parseOnce(big[:DefaultMaxHeaderBytes-1], 0); err != errNeedMore {
		t.Fatalf("incomplete head under the limit: got %v", err)
	}
}

func TestParseResumes(t *testing.T) {
	// Each call consumes all it is given, so the next one starts there.
	in := []byte(browserRequest)
	var h Head
	var p Parser
	p.Reset(&h)
	for k := 1; k < len(in); k++ {
		if n, err := p.Parse(in[:k]); n != 0 || err != nil {
			t.Fatalf("at %d: n=%d err=%v", k, n, err)
		}
		if p.pos != k {
			t.Fatalf("given %d bytes, stopped at %d", k, p.pos)
		}
	}
	if n, err := p.Parse(in); n != len(in) || err != nil {
		t.Fatalf("got %d, %v", n, err)
	}
}

func TestParseSticky(t *testing.T) {
	var h Head
	var p Parser
	p.Reset(&h)
	buf := []byte(get + "GET")
	n, err := p.Parse(buf)
	if n != len(get) || err != nil {
		t.Fatalf("got %d, %v", n, err)
	}
	if n2, err := p.Parse(append(buf, " / HTTP/1.1\r\n"...)); n2 != n || err != nil {
		t.Fatalf("after completion: %d, %v", n2, err)
	}
	p.Reset(&h)
	if _, err := p.Parse([]byte("GET\n")); err != errBareLF {
		t.Fatalf("got %v", err)
	}
	if _, err := p.Parse([]byte(get)); err != errBareLF {
		t.Fatalf("error not sticky: %v", err)
	}
	// Reset clears the head and keeps the limit.
	p.MaxHeaderBytes = 10
	p.Reset(&h)
	if h.ContentLength != -1 || len(h.Fields) != 0 || h.HasHost {
		t.Fatalf("Reset left %+v", h)
	}
	if _, err := p.Parse([]byte(get)); err != ErrHeaderTooLarge {
		t.Fatalf("limit lost by Reset: %v", err)
	}
}

func TestParseAllocs(t *testing.T) {
	buf := []byte(browserRequest)
	var h Head
	var p Parser
	allocs := testing.AllocsPerRun(100, func() {
		p.Reset(&h)
		if n, err := p.Parse(buf); n != len(buf) || err != nil {
			t.Fatalf("Parse = %d, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per parse, want 0", allocs)
	}
	// Rejecting allocates nothing either.
	bad := []byte("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n")
	allocs = testing.AllocsPerRun(100, func() {
		p.Reset(&h)
		if _, err := p.Parse(bad); err == nil {
			t.Fatal("accepted")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per rejection, want 0", allocs)
	}
}
