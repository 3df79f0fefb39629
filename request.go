package phttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/url"

	"github.com/gobwas/httphead"
)

// Request is one event for the Handler: an HTTP request (or a piece of its
// body when Server.StreamBodies is set), a whole WebSocket message, or the
// end of a WebSocket connection.
//
// Strings in a Request stay valid after the handler returns. Body is valid
// only until the handler returns, unless the handler detached its response.
// Header's backing array is reused for the next request once the handler
// returns (the strings in it are not): clone it to keep the list.
type Request struct {
	Type   RequestType
	ConnID ConnID
	Server *Server

	// Method, URI (the request-target as sent), Path (percent-decoded),
	// RawPath (the path as sent), RawQuery (after '?', as sent), Fragment
	// (after '#', if a client sent one) and Proto ("HTTP/1.1").
	// WebSocket events carry the upgrade request's values.
	Method, URI, Path, RawPath, RawQuery, Fragment, Proto string
	// Host is the authority the request names: the absolute-form
	// target's, else the Host header's.
	Host string

	Header        Header // ordered name/value pairs; Get is case-insensitive
	ContentLength int64  // the body's length: 0 without a body, -1 when unknown (chunked); a WebSocket message's length
	Chunked       bool
	RemoteAddr    net.Addr
	// TLS describes the connection's TLS session (version, cipher suite,
	// ALPN protocol, SNI name, client certificates); nil on plain TCP.
	TLS       *tls.ConnectionState
	LocalAddr net.Addr // the address the client reached: the listener's, or the connection's own on a wildcard listener

	// Body is the HTTP body (whole, or this piece when streaming) or the
	// WebSocket message.
	Body []byte
	// BodyDone reports that the last piece of the body has arrived. It is
	// true for every non-streamed request and every WebSocket message.
	BodyDone bool

	// CloseCode and CloseReason describe a WebSocketClose: the peer's
	// code and reason, the code the server closed with after a protocol
	// error, or CloseAbnormal (1006) when the connection was lost.
	CloseCode   CloseCode
	CloseReason string

	life *lifetime // what Context reports on; nil for a Request the server did not make
	rs   *reqState // the HTTP request's state, for BodyReader; nil otherwise
}

// BodyReader returns a reader of the request's body for a goroutine to
// consume with back-pressure. On a streamed request (Server.StreamBody or
// StreamBodies), call it in the handler, then Detach and hand the reader
// to a goroutine: from then on the body's pieces go to the reader instead
// of the handler, and the loop stops reading the client while more than
// 64 KiB wait unread in it. Read returns io.EOF at the end of the body,
// an error wrapping ErrBodyTooLarge past MaxBodyBytes, and ErrClosed or
// ErrServerStopped when the connection goes first. The reader is also an
// io.Closer: Close drops the rest of the body. If the handler answers
// without detaching, it is called once more when the body has ended.
//
// On a request whose body was buffered, it reads Body. Call it from the
// handler, on the loop goroutine; the reader may be used from any one
// goroutine.
func (r *Request) BodyReader() io.Reader {
	rs := r.rs
	if rs == nil || !rs.stream || rs.bodyDone || r.Type != HTTP {
		return bytes.NewReader(r.Body)
	}
	if rs.pipe == nil {
		c := rs.resp.c
		lp := rs.resp.lp
		if st := rs.resp.h2; st != nil {
			rs.pipe = newBodyPipe(func() { lp.h2Ready(c, st) })
			rs.pipe.notify = true
		} else {
			rs.pipe = newBodyPipe(func() { lp.wakeFor(c) })
		}
	}
	return bodyReader{rs.pipe}
}

// Context returns a context that is done when the request's answer has
// been sent and its body read (cause ErrAnswerSent), when the client goes
// away first (ErrClosed: a detached answer notices it too), or when the
// server stops (ErrServerStopped); context.Cause tells which. For a
// WebSocket event it is the connection's: done when it closes. Safe from
// the handler and from the goroutine a detached answer was handed to; it
// costs nothing until called.
func (r *Request) Context() context.Context {
	if r.life == nil {
		return context.Background()
	}
	return r.life.context()
}

// IsWebSocketUpgrade reports whether r is an HTTP request asking for a
// WebSocket: GET with "Upgrade: websocket" and "Connection: upgrade". It
// does not check the key and version; AcceptWebSocket answers a bad
// handshake with 400 or 426 instead of 101. It only reads r: safe from any
// goroutine that may read r.
func (r *Request) IsWebSocketUpgrade() bool {
	if r.Type != HTTP || r.Method != "GET" {
		return false
	}
	return headerHasToken(r.Header, "Upgrade", "websocket") &&
		headerHasToken(r.Header, "Connection", "upgrade")
}

// Query parses RawQuery. Malformed pairs are dropped, as net/url does.
// Each call parses again: keep the result if you need it twice. It only
// reads r: safe from any goroutine that may read r.
func (r *Request) Query() url.Values {
	v, _ := url.ParseQuery(r.RawQuery)
	return v
}

// headerHasToken reports whether any field name carries token in its
// comma-separated token list (case-insensitive), as RFC 9110 §5.6.1 lists.
func headerHasToken(h Header, name, token string) bool {
	for i := range h {
		if equalFold(h[i].Name, name) && valueHasToken(h[i].Value, token) {
			return true
		}
	}
	return false
}

// valueHasToken reports whether one field value lists token.
func valueHasToken(value, token string) bool {
	found := false
	httphead.ScanTokens([]byte(value), func(t []byte) bool {
		found = equalFold(string(t), token)
		return !found
	})
	return found
}

// equalFold is strings.EqualFold for ASCII, which is all HTTP names are.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
