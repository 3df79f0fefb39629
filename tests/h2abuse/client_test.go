// Package h2abuse_test drives phttp's HTTP/2 with a raw frame client
// (x/net/http2's Framer over loopback TCP, h2c prior knowledge): the
// limits at and past their bounds, the known denial-of-service patterns,
// and flow control holding one stream without holding the others.
package h2abuse_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2client is a raw HTTP/2 client: it writes frames as told and reads
// what comes back.
type h2client struct {
	t   testing.TB
	c   net.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
	wmu sync.Mutex // the Framer's writes are not safe for concurrent use
}

// write runs one write on the Framer, serialised with the others.
func (h *h2client) write(f func(fr *http2.Framer) error) error {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	return f(h.fr)
}

// start runs s with h2c on, with the test's own defaults.
func start(t testing.TB, s *phttp.Server) *testserver.Running {
	s.Protocols = phttp.HTTP1 | phttp.UnencryptedHTTP2
	if s.TLSConfig != nil || testserver.OverTLS {
		t.Skip("h2c prior knowledge: plain TCP only")
	}
	return testserver.Start(t, s)
}

// dial opens an HTTP/2 connection: preface, our SETTINGS, and the
// server's SETTINGS acknowledged.
func dial(t testing.TB, s *testserver.Running, settings ...http2.Setting) *h2client {
	t.Helper()
	c := s.DialTCP(t, 20*time.Second)
	h := &h2client{t: t, c: c, fr: http2.NewFramer(c, c)}
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	h.fr.MaxHeaderListSize = 1 << 20
	h.enc = hpack.NewEncoder(&h.buf)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := h.fr.WriteSettings(settings...); err != nil {
		t.Fatal(err)
	}
	f, err := h.fr.ReadFrame()
	if err != nil {
		t.Fatalf("reading the server's SETTINGS: %v", err)
	}
	if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
		t.Fatalf("first frame %v, want SETTINGS", f)
	}
	if err := h.fr.WriteSettingsAck(); err != nil {
		t.Fatal(err)
	}
	return h
}

// block encodes a request's header block.
func (h *h2client) block(method, path string, extra ...string) []byte {
	h.buf.Reset()
	for _, f := range [][2]string{{":method", method}, {":scheme", "http"}, {":authority", "localhost"}, {":path", path}} {
		h.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h.enc.WriteField(hpack.HeaderField{Name: extra[i], Value: extra[i+1]})
	}
	return bytes.Clone(h.buf.Bytes())
}

// request sends a request's HEADERS (ending the stream when end is set).
func (h *h2client) request(id uint32, method, path string, end bool, extra ...string) {
	h.t.Helper()
	p := http2.HeadersFrameParam{StreamID: id, BlockFragment: h.block(method, path, extra...), EndStream: end, EndHeaders: true}
	if err := h.write(func(fr *http2.Framer) error { return fr.WriteHeaders(p) }); err != nil {
		h.t.Fatalf("HEADERS: %v", err)
	}
}

// answer is what one stream got.
type answer struct {
	status int
	header map[string]string
	body   []byte
	reset  http2.ErrCode // RST_STREAM's code, when it was reset
	wasRST bool
}

// read reads frames until every stream in ids has ended (END_STREAM or
// RST_STREAM), acknowledging SETTINGS and PINGs and answering nothing
// else. It fails on GOAWAY or a closed connection.
func (h *h2client) read(ids ...uint32) map[uint32]*answer {
	h.t.Helper()
	got := make(map[uint32]*answer)
	left := make(map[uint32]bool)
	for _, id := range ids {
		got[id] = &answer{header: map[string]string{}}
		left[id] = true
	}
	for len(left) > 0 {
		f, err := h.fr.ReadFrame()
		if err != nil {
			h.t.Fatalf("waiting for streams %v: %v", ids, err)
		}
		id := f.Header().StreamID
		a := got[id]
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if a == nil {
				continue
			}
			for _, hf := range f.Fields {
				if hf.Name == ":status" {
					n, _ := strconv.Atoi(hf.Value)
					if n >= 200 {
						a.status = n
					}
				}
				a.header[hf.Name] = hf.Value
			}
			if f.StreamEnded() {
				delete(left, id)
			}
		case *http2.DataFrame:
			if a == nil {
				continue
			}
			a.body = append(a.body, f.Data()...)
			if n := uint32(len(f.Data())); n > 0 {
				h.write(func(fr *http2.Framer) error {
					fr.WriteWindowUpdate(0, n)
					return fr.WriteWindowUpdate(id, n)
				})
			}
			if f.StreamEnded() {
				delete(left, id)
			}
		case *http2.RSTStreamFrame:
			if a != nil {
				a.wasRST, a.reset = true, f.ErrCode
				delete(left, id)
			}
		case *http2.GoAwayFrame:
			h.t.Fatalf("GOAWAY %v while waiting for streams %v", f.ErrCode, ids)
		case *http2.PingFrame:
			if !f.IsAck() {
				h.write(func(fr *http2.Framer) error { return fr.WritePing(true, f.Data) })
			}
		}
	}
	return got
}

// goAway reads until GOAWAY (its code) or the end of the connection.
func (h *h2client) goAway() (http2.ErrCode, bool) {
	h.t.Helper()
	for {
		f, err := h.fr.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) || isReset(err) {
				return 0, false
			}
			h.t.Fatalf("waiting for GOAWAY: %v", err)
		}
		if g, ok := f.(*http2.GoAwayFrame); ok {
			return g.ErrCode, true
		}
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

// works checks that the server still answers a fresh connection.
func works(t testing.TB, s *testserver.Running) {
	t.Helper()
	h := dial(t, s)
	h.request(1, "GET", "/ok", true)
	if a := h.read(1)[1]; a.status != 200 {
		t.Fatalf("after the abuse, a new client got %+v", a)
	}
}
