package stdhttp_test

import (
	"bufio"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/stdhttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// The differential test: the same application behind net/http and behind
// phttp through stdhttp.Handler, the same raw bytes sent to both, and
// what a client relies on compared: status, the headers that carry
// meaning, the body, and whether the answer ended cleanly.

// startNetHTTP serves h with net/http's own server on loopback.
func startNetHTTP(t testing.TB, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ErrorLog: nil}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// startBridge serves h with phttp through stdhttp.Handler.
func startBridge(t testing.TB, h http.Handler, stream bool) *testserver.Running {
	t.Helper()
	return testserver.Start(t, &phttp.Server{Handler: stdhttp.Handler(h), StreamBodies: stream})
}

// outcome is what a client sees of one answer.
type outcome struct {
	Status        int
	Header        map[string][]string
	ContentLength int64
	Chunked       bool
	Body          string
	Broken        bool // the body did not end as its framing said
}

// meaningful are the response headers compared: those a client acts on.
var meaningful = []string{
	"Content-Type", "Location", "Allow", "Content-Range", "Accept-Ranges",
	"Last-Modified", "Set-Cookie", "X-Item", "X-Deleted", "X-Custom", "X-Too-Late",
	"X-Content-Type-Options", "Cache-Control", "Etag", "Vary",
}

// readOutcomes reads n answers from br to requests with the given methods.
func readOutcomes(t testing.TB, br *bufio.Reader, methods []string) []outcome {
	t.Helper()
	var out []outcome
	for _, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			out = append(out, outcome{Status: -1, Body: "no answer"})
			return out
		}
		body, berr := io.ReadAll(resp.Body)
		resp.Body.Close()
		o := outcome{
			Status: resp.StatusCode, Header: map[string][]string{}, ContentLength: resp.ContentLength,
			Chunked: len(resp.TransferEncoding) > 0, Body: string(body), Broken: berr != nil,
		}
		for _, k := range meaningful {
			if v := resp.Header.Values(k); len(v) > 0 {
				o.Header[k] = v
			}
		}
		normalizeBoundary(&o)
		out = append(out, o)
		if berr != nil {
			return out
		}
	}
	return out
}

// normalizeBoundary replaces a multipart answer's random boundary.
func normalizeBoundary(o *outcome) {
	ct := o.Header["Content-Type"]
	if len(ct) == 0 {
		return
	}
	_, params, err := mime.ParseMediaType(ct[0])
	if b := params["boundary"]; err == nil && b != "" {
		o.Body = strings.ReplaceAll(o.Body, b, "BOUNDARY")
		o.Header["Content-Type"] = []string{strings.ReplaceAll(ct[0], b, "BOUNDARY")}
	}
}

// exchange writes raw on a fresh connection and reads the answers.
func exchange(t testing.TB, addr, raw string, methods []string) []outcome {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	return readOutcomes(t, bufio.NewReader(c), methods)
}

// expectContinue sends a head with Expect: 100-continue, waits for the
// interim answer, then sends the body.
func expectContinue(t testing.TB, addr, head, body string) []outcome {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, head)
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		return []outcome{{Status: -1, Body: fmt.Sprintf("no 100 Continue: %q %v", line, err)}}
	}
	if blank, _ := br.ReadString('\n'); blank != "\r\n" {
		return []outcome{{Status: -1, Body: "100 Continue with headers"}}
	}
	io.WriteString(c, body)
	return readOutcomes(t, br, []string{"POST"})
}

type rawCase struct {
	name    string
	raw     string
	methods []string // of the requests in raw, in order; nil: one GET
}

func get(path string, extra ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + strings.Join(extra, "") + "\r\n"
}

func req(method, path string, extra ...string) string {
	return method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n" + strings.Join(extra, "") + "\r\n"
}

func diffCases() []rawCase {
	ims := "If-Modified-Since: " + siteModTime.Format(http.TimeFormat) + "\r\n"
	older := "If-Modified-Since: " + siteModTime.Add(-time.Hour).Format(http.TimeFormat) + "\r\n"
	cases := []rawCase{
		{"pattern with id", get("/items/42?q=x%20y"), nil},
		{"405 with Allow", req("POST", "/items/42", "Content-Length: 0\r\n"), []string{"POST"}},
		{"DELETE 204", req("DELETE", "/items/42"), []string{"DELETE"}},
		{"HEAD on GET pattern", req("HEAD", "/items/42"), []string{"HEAD"}},
		{"404", get("/nope"), nil},
		{"POST Content-Length", req("POST", "/items", "Content-Length: 11\r\n") + "hello world", []string{"POST"}},
		{"POST chunked", req("POST", "/items", "Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", []string{"POST"}},
		{"POST empty", req("POST", "/items", "Content-Length: 0\r\n"), []string{"POST"}},
		{"repeated headers", get("/headers", "Accept: text/html\r\nX-Multi: 1\r\nAccept: application/json\r\nX-Multi: 2, 3\r\n"), nil},
		{"redirect", get("/redirect"), nil},
		{"WriteHeader with headers", get("/teapot"), nil},
		{"sniffed type", get("/sniff"), nil},
		{"small body has a length", get("/small"), nil},
		{"big body is chunked", get("/big"), nil},
		{"empty handler", get("/empty"), nil},
		{"HEAD small", req("HEAD", "/small"), []string{"HEAD"}},
		{"HEAD big", req("HEAD", "/big"), []string{"HEAD"}},
		{"HEAD empty", req("HEAD", "/empty"), []string{"HEAD"}},
		{"flusher stream", get("/stream"), nil},
		{"declared length", get("/declared"), nil},
		{"ErrAbortHandler after a flush", get("/abort"), nil},
		{"ErrAbortHandler before anything", get("/abort-early"), nil},
		{"HTTP/1.0 small", "GET /small HTTP/1.0\r\nHost: localhost\r\n\r\n", nil},
		{"HTTP/1.0 big", "GET /big HTTP/1.0\r\nHost: localhost\r\n\r\n", nil},
		{"HTTP/1.0 keep-alive", "GET /small HTTP/1.0\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\nGET /items/1 HTTP/1.0\r\nHost: localhost\r\n\r\n", []string{"GET", "GET"}},
		{"Connection: close", get("/small", "Connection: close\r\n") + get("/items/2"), []string{"GET", "GET"}},
	}
	for _, root := range []string{"/static", "/embed"} {
		cases = append(cases,
			rawCase{root + " file", get(root + "/ranges.txt"), nil},
			rawCase{root + " single range", get(root+"/ranges.txt", "Range: bytes=0-99\r\n"), nil},
			rawCase{root + " suffix range", get(root+"/ranges.txt", "Range: bytes=-50\r\n"), nil},
			rawCase{root + " open range", get(root+"/ranges.txt", "Range: bytes=19990-\r\n"), nil},
			rawCase{root + " multiple ranges", get(root+"/ranges.txt", "Range: bytes=0-9,20-29,100-149\r\n"), nil},
			rawCase{root + " unsatisfiable range", get(root+"/ranges.txt", "Range: bytes=99999-\r\n"), nil},
			rawCase{root + " HEAD file", req("HEAD", root+"/ranges.txt"), []string{"HEAD"}},
			rawCase{root + " directory index", get(root + "/"), nil},
			rawCase{root + " sub index", get(root + "/sub/"), nil},
			rawCase{root + " directory redirect", get(root + "/sub"), nil},
			rawCase{root + " index.html redirect", get(root + "/index.html"), nil},
			rawCase{root + " listing", get(root + "/list/"), nil},
			rawCase{root + " css", get(root + "/style.css"), nil},
			rawCase{root + " json", get(root + "/data.json"), nil},
			rawCase{root + " js", get(root + "/app.js"), nil},
			rawCase{root + " missing", get(root + "/missing.txt"), nil},
			rawCase{root + " If-Modified-Since now", get(root+"/ranges.txt", ims), nil},
			rawCase{root + " If-Modified-Since older", get(root+"/style.css", older), nil},
		)
	}
	// 20 pipelined requests in one write, mixed.
	var pipe strings.Builder
	var methods []string
	for i := range 20 {
		switch i % 4 {
		case 0:
			pipe.WriteString(get(fmt.Sprintf("/items/%d", i)))
			methods = append(methods, "GET")
		case 1:
			pipe.WriteString(req("POST", "/items", "Content-Length: 3\r\n") + "abc")
			methods = append(methods, "POST")
		case 2:
			pipe.WriteString(get("/static/ranges.txt", "Range: bytes=10-19\r\n"))
			methods = append(methods, "GET")
		default:
			pipe.WriteString(req("HEAD", "/big"))
			methods = append(methods, "HEAD")
		}
	}
	cases = append(cases, rawCase{"20 pipelined", pipe.String(), methods})
	return cases
}

func TestDifferentialAgainstNetHTTP(t *testing.T) {
	dir := siteDir(t)
	app := newApp(dir)
	std := startNetHTTP(t, app)
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("StreamBodies=%v", stream), func(t *testing.T) {
			ours := startBridge(t, app, stream)
			for _, tc := range diffCases() {
				methods := tc.methods
				if methods == nil {
					methods = []string{"GET"}
				}
				want := exchange(t, std, tc.raw, methods)
				got := exchange(t, ours.Host, tc.raw, methods)
				compare(t, tc.name, got, want)
			}
			head := req("POST", "/items", "Content-Length: 11\r\nExpect: 100-continue\r\n")
			compare(t, "Expect: 100-continue", expectContinue(t, ours.Host, head, "hello world"), expectContinue(t, std, head, "hello world"))
		})
	}
}

// TestDifferentialOnLoop runs the same cases through stdhttp.OnLoop. Its
// answers go out whole when the handler returns, so a long body has a
// Content-Length where net/http chunks it, and a Flush streams nothing
// early: framing aside, every answer must agree.
func TestDifferentialOnLoop(t *testing.T) {
	dir := siteDir(t)
	app := newApp(dir)
	std := startNetHTTP(t, app)
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("StreamBodies=%v", stream), func(t *testing.T) {
			ours := testserver.Start(t, &phttp.Server{Handler: stdhttp.OnLoop(app), StreamBodies: stream})
			for _, tc := range diffCases() {
				methods := tc.methods
				if methods == nil {
					methods = []string{"GET"}
				}
				want := unframed(exchange(t, std, tc.raw, methods))
				got := unframed(exchange(t, ours.Host, tc.raw, methods))
				if strings.Contains(tc.name, "after a flush") {
					// Nothing was sent before the abort: no answer at all,
					// where net/http's client saw a broken one.
					if len(got) != 1 || got[0].Status != -1 {
						t.Errorf("%s: %s, want no answer", tc.name, describe(got))
					}
					continue
				}
				compare(t, tc.name, got, want)
			}
		})
	}
}

// unframed forgets how each body was framed.
func unframed(os []outcome) []outcome {
	for i := range os {
		os[i].ContentLength, os[i].Chunked = 0, false
	}
	return os
}

func compare(t *testing.T, name string, got, want []outcome) {
	t.Helper()
	if len(want) == 0 || want[0].Status <= 0 && !strings.Contains(name, "before anything") {
		t.Fatalf("%s: net/http itself gave no answer: %+v", name, want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %s\n want %s", name, describe(got), describe(want))
	}
}

func describe(os []outcome) string {
	var b strings.Builder
	for _, o := range os {
		keys := make([]string, 0, len(o.Header))
		for k := range o.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&b, "[%d len=%d chunked=%v broken=%v", o.Status, o.ContentLength, o.Chunked, o.Broken)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%q", k, o.Header[k])
		}
		body := o.Body
		if len(body) > 200 {
			body = body[:200] + fmt.Sprintf("...(%d bytes)", len(o.Body))
		}
		fmt.Fprintf(&b, " body=%q] ", body)
	}
	return b.String()
}
