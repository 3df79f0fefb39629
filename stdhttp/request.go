package stdhttp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/phttp-go/phttp"
)

// newRequest builds the *http.Request net/http would have read for r:
// the same URL, canonical Header (Host taken out of it), framing fields
// and Close. ctx is the request's context; body its Body.
func newRequest(ctx context.Context, r *phttp.Request, body io.ReadCloser) (*http.Request, error) {
	u, err := parseTarget(r.Method, r.URI)
	if err != nil {
		return nil, err
	}
	req := &http.Request{
		Method:     r.Method,
		URL:        u,
		Proto:      r.Proto,
		Header:     canonicalHeader(r.Header),
		Body:       body,
		Host:       r.Host,
		RequestURI: r.URI,
	}
	req.ProtoMajor, req.ProtoMinor = protoVersion(r.Proto)
	if r.RemoteAddr != nil {
		req.RemoteAddr = r.RemoteAddr.String()
	}
	req.ContentLength = r.ContentLength
	req.TLS = r.TLS
	if r.Chunked {
		req.TransferEncoding = []string{"chunked"}
	}
	req.Close = wantsClose(req)
	if r.LocalAddr != nil {
		ctx = context.WithValue(ctx, http.LocalAddrContextKey, r.LocalAddr)
	}
	return req.WithContext(ctx), nil
}

// protoVersion is the major and minor version of proto: "HTTP/2.0" for
// a stream of an HTTP/2 connection, "HTTP/1.0" or "HTTP/1.1" (anything
// else the parser let through counts as 1.1).
func protoVersion(proto string) (major, minor int) {
	switch proto {
	case "HTTP/2.0":
		return 2, 0
	case "HTTP/1.0":
		return 1, 0
	}
	return 1, 1
}

// parseTarget parses the request-target as net/http does: an
// authority-form CONNECT target becomes URL.Host.
func parseTarget(method, target string) (*url.URL, error) {
	authority := method == "CONNECT" && !strings.HasPrefix(target, "/")
	if authority {
		target = "http://" + target
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, err
	}
	if authority {
		u.Scheme = ""
	}
	return u, nil
}

// canonicalHeader copies h into an http.Header with canonical keys, the
// values of a repeated name in the order sent. The values share one
// backing array, as net/textproto's reader does.
func canonicalHeader(h phttp.Header) http.Header {
	out := make(http.Header, len(h))
	values := make([]string, len(h))
	for i, f := range h {
		key := textproto.CanonicalMIMEHeaderKey(f.Name)
		if key == "Host" {
			continue // net/http moves it to Request.Host
		}
		values[i] = f.Value
		if vs := out[key]; vs != nil {
			out[key] = append(vs, f.Value)
			continue
		}
		out[key] = values[i : i+1 : i+1]
	}
	return out
}

// wantsClose is net/http's reading of whether the client asked for the
// connection to end with this request.
func wantsClose(req *http.Request) bool {
	if req.ProtoMajor == 1 && req.ProtoMinor == 0 {
		return !headerHasToken(req.Header["Connection"], "keep-alive")
	}
	return headerHasToken(req.Header["Connection"], "close")
}

func headerHasToken(values []string, token string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// bufferedBody is the Body of a request the loop gathered whole. Its
// bytes may be the loop's to reuse once the answer has ended, so after
// Close (which the bridge calls when ServeHTTP returns) it reads nothing,
// as net/http's bodies do.
type bufferedBody struct {
	r      bytes.Reader
	closed atomic.Bool
}

func (b *bufferedBody) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.r.Read(p)
}

func (b *bufferedBody) Close() error {
	b.closed.Store(true)
	return nil
}
