// Package h2_test drives phttp's HTTP/2 with real clients over loopback:
// Go's HTTP/2 client over TLS (ALPN "h2") and over cleartext prior
// knowledge (h2c), curl, a raw framer from golang.org/x/net/http2 where
// a test needs to see frames, and h2spec, the conformance suite.
package h2_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// mode is one way of speaking HTTP/2 to the server.
type mode struct {
	name string
	tls  bool // h2 over TLS chosen by ALPN; else h2c with prior knowledge
}

var modes = []mode{{"h2c", false}, {"h2", true}}

// eachMode runs f as a subtest per mode.
func eachMode(t *testing.T, f func(t *testing.T, m mode)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

// start runs s for mode m: over TLS with the test certificate and the
// zero Protocols (which must mean HTTP/1.1 and HTTP/2 by ALPN), or on
// cleartext with HTTP1|UnencryptedHTTP2, so that HTTP/1.1 stays on the
// same listener in both.
func start(t *testing.T, m mode, s *phttp.Server) *testserver.Running {
	t.Helper()
	if m.tls {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{testserver.LocalCert(t).TLS}}
		return testserver.StartTLS(t, s)
	}
	if s.Protocols == 0 {
		s.Protocols = phttp.HTTP1 | phttp.UnencryptedHTTP2
	}
	s.TLSConfig = nil
	r := testserver.Start(t, s)
	r.URL = "http://" + r.Host
	return r
}

// h2Client is Go's client speaking only HTTP/2 in mode m (no fallback to
// HTTP/1.1, so a server that does not speak it fails the request), on one
// connection: requests beyond the server's MAX_CONCURRENT_STREAMS wait
// for a stream instead of opening another connection.
func h2Client(t testing.TB, m mode) *http.Client {
	var p http.Protocols
	tr := &http.Transport{
		HTTP2:             &http.HTTP2Config{StrictMaxConcurrentRequests: true},
		DisableKeepAlives: false,
	}
	if m.tls {
		p.SetHTTP2(true)
		tr.TLSClientConfig = testserver.ClientTLS(t)
	} else {
		p.SetUnencryptedHTTP2(true)
	}
	tr.Protocols = &p
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// h1Client is Go's client speaking only HTTP/1.1 in mode m's transport
// (TLS offering "http/1.1" by ALPN, or cleartext).
func h1Client(t testing.TB, m mode) *http.Client {
	var p http.Protocols
	p.SetHTTP1(true)
	tr := &http.Transport{Protocols: &p}
	if m.tls {
		tr.TLSClientConfig = testserver.ClientTLS(t)
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"} // Go's client offers none of its own for HTTP/1 alone
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// get fetches url with c and returns the response (body read) or fails.
func get(t testing.TB, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp, string(body)
}

// rawConn is an HTTP/2 connection driven frame by frame, for tests that
// must see what the server sends (GOAWAY, RST_STREAM, SETTINGS).
type rawConn struct {
	t    testing.TB
	c    net.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	hbuf bytes.Buffer
	// settings are the server's first SETTINGS, read by dialRaw.
	settings map[http2.SettingID]uint32
	host     string
}

// dialRaw opens a connection in mode m (TLS with ALPN "h2" only), sends
// the preface and an empty SETTINGS, and reads the server's SETTINGS
// (acknowledging it). Everything on it has a deadline of d.
func dialRaw(t testing.TB, s *testserver.Running, m mode, d time.Duration) *rawConn {
	t.Helper()
	var c net.Conn = s.DialTCP(t, d)
	if m.tls {
		cfg := testserver.ClientTLS(t)
		cfg.NextProtos = []string{"h2"}
		tc := tls.Client(c, cfg)
		if err := tc.Handshake(); err != nil {
			t.Fatalf("TLS handshake: %v", err)
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
			t.Fatalf("ALPN chose %q, want h2", p)
		}
		c = tc
	}
	rc := &rawConn{t: t, c: c, fr: http2.NewFramer(c, c), host: s.Host}
	rc.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	rc.enc = hpack.NewEncoder(&rc.hbuf)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatalf("writing the preface: %v", err)
	}
	if err := rc.fr.WriteSettings(); err != nil {
		t.Fatalf("writing SETTINGS: %v", err)
	}
	f, err := rc.fr.ReadFrame()
	if err != nil {
		t.Fatalf("reading the server's first frame: %v", err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		t.Fatalf("the server's first frame is %v, want SETTINGS (RFC 9113 section 3.4)", f.Header())
	}
	rc.settings = map[http2.SettingID]uint32{}
	sf.ForeachSetting(func(s http2.Setting) error { rc.settings[s.ID] = s.Val; return nil })
	if err := rc.fr.WriteSettingsAck(); err != nil {
		t.Fatalf("writing the SETTINGS ack: %v", err)
	}
	return rc
}

// maxStreams is the server's SETTINGS_MAX_CONCURRENT_STREAMS (absent:
// unlimited, reported as 1<<31-1).
func (rc *rawConn) maxStreams() uint32 {
	if v, ok := rc.settings[http2.SettingMaxConcurrentStreams]; ok {
		return v
	}
	return 1<<31 - 1
}

// request sends a HEADERS frame (END_HEADERS; END_STREAM when body is
// nil) for method and path on stream id, then the body in one DATA frame.
func (rc *rawConn) request(id uint32, method, path string, body []byte, extra ...string) {
	rc.t.Helper()
	rc.hbuf.Reset()
	scheme := "http"
	if _, ok := rc.c.(*tls.Conn); ok {
		scheme = "https"
	}
	fields := []string{":method", method, ":scheme", scheme, ":authority", rc.host, ":path", path}
	for i := 0; i+1 < len(fields); i += 2 {
		rc.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	for i := 0; i+1 < len(extra); i += 2 {
		rc.enc.WriteField(hpack.HeaderField{Name: extra[i], Value: extra[i+1]})
	}
	err := rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: rc.hbuf.Bytes(), EndHeaders: true, EndStream: body == nil})
	if err == nil && body != nil {
		err = rc.fr.WriteData(id, true, body)
	}
	if err != nil {
		rc.t.Fatalf("writing stream %d: %v", id, err)
	}
}

// answer is what a raw connection saw of one stream.
type answer struct {
	status string
	body   bytes.Buffer
	ended  bool          // END_STREAM seen
	reset  http2.ErrCode // RST_STREAM's code, when reset
	wasRST bool
}

// next reads frames until one of interest arrives: it answers PINGs and
// ignores SETTINGS and WINDOW_UPDATE, and returns the frame (its data
// copied: the framer reuses its buffer).
func (rc *rawConn) next() (http2.Frame, error) {
	for {
		f, err := rc.fr.ReadFrame()
		if err != nil {
			return nil, err
		}
		switch f := f.(type) {
		case *http2.PingFrame:
			if !f.IsAck() {
				rc.fr.WritePing(true, f.Data)
			}
			continue
		case *http2.SettingsFrame:
			if !f.IsAck() {
				rc.fr.WriteSettingsAck()
			}
			continue
		case *http2.WindowUpdateFrame:
			continue
		}
		return f, nil
	}
}

// describe names a frame for failure messages.
func describe(f http2.Frame) string {
	switch f := f.(type) {
	case *http2.GoAwayFrame:
		return fmt.Sprintf("GOAWAY last=%d code=%v", f.LastStreamID, f.ErrCode)
	case *http2.RSTStreamFrame:
		return fmt.Sprintf("RST_STREAM stream=%d code=%v", f.StreamID, f.ErrCode)
	case *http2.MetaHeadersFrame:
		var sb strings.Builder
		for _, hf := range f.Fields {
			fmt.Fprintf(&sb, " %s=%q", hf.Name, hf.Value)
		}
		return fmt.Sprintf("HEADERS stream=%d end=%v%s", f.StreamID, f.StreamEnded(), sb.String())
	case *http2.DataFrame:
		return fmt.Sprintf("DATA stream=%d len=%d end=%v", f.StreamID, len(f.Data()), f.StreamEnded())
	}
	return f.Header().String()
}

// fold adds a stream's frame to a; it reports whether f was for a's
// stream.
func (a *answer) fold(id uint32, f http2.Frame) bool {
	if f.Header().StreamID != id {
		return false
	}
	switch f := f.(type) {
	case *http2.MetaHeadersFrame:
		if a.status == "" {
			a.status = f.PseudoValue("status")
		}
		a.ended = a.ended || f.StreamEnded()
	case *http2.DataFrame:
		a.body.Write(f.Data())
		a.ended = a.ended || f.StreamEnded()
	case *http2.RSTStreamFrame:
		a.wasRST, a.reset = true, f.ErrCode
	}
	return true
}
