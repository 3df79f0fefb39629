package h2_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// holdHandler detaches every request and answers only when the client
// goes away (it aborts then): streams stay open as long as the client
// wants. calls counts the handler's calls.
func holdHandler(calls *atomic.Int64) phttp.Handler {
	return func(w *phttp.Response, r *phttp.Request) {
		calls.Add(1)
		if r.Path == "/quick" {
			w.WriteString("quick")
			return
		}
		ctx := r.Context()
		w.Detach()
		go func() {
			<-ctx.Done()
			w.Abort()
		}()
	}
}

// untilGoAway reads frames on rc until GOAWAY (returned) or the end of
// the connection (nil, with the error), skipping anything else. It only
// reads, so that another goroutine may write on rc meanwhile.
func untilGoAway(rc *rawConn) (*http2.GoAwayFrame, error) {
	for {
		f, err := rc.fr.ReadFrame()
		if err != nil {
			return nil, err
		}
		if g, ok := f.(*http2.GoAwayFrame); ok {
			return g, nil
		}
	}
}

// stillServes checks that a new connection in mode m is answered: one
// client's flood costs that client its connection, nobody else theirs.
func stillServes(t *testing.T, s interface{ Stats() phttp.Stats }, rc func() *rawConn) {
	t.Helper()
	c := rc()
	c.request(1, "GET", "/quick", nil)
	var a answer
	for !a.ended && !a.wasRST {
		f, err := c.next()
		if err != nil {
			t.Fatalf("a new connection after the flood: %v", err)
		}
		a.fold(1, f)
	}
	if a.status != "200" || a.body.String() != "quick" {
		t.Fatalf("a new connection after the flood: %s %q (reset %v)", a.status, a.body.String(), a.wasRST)
	}
}

// TestMaxConcurrentStreams: the server advertises MaxConcurrentStreams,
// and a stream past it is refused with RST_STREAM REFUSED_STREAM while
// the open ones go on; once one ends, a new one is taken.
func TestMaxConcurrentStreams(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		var calls atomic.Int64
		s := start(t, m, &phttp.Server{MaxConcurrentStreams: 2, Handler: holdHandler(&calls)})
		rc := dialRaw(t, s, m, 10*time.Second)
		if got := rc.maxStreams(); got != 2 {
			t.Fatalf("SETTINGS_MAX_CONCURRENT_STREAMS %d, want 2", got)
		}
		rc.request(1, "GET", "/hold", nil)
		rc.request(3, "GET", "/hold", nil)
		rc.request(5, "GET", "/hold", nil)
		f, err := rc.next()
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := f.(*http2.RSTStreamFrame); !ok || r.StreamID != 5 || r.ErrCode != http2.ErrCodeRefusedStream {
			t.Fatalf("the third stream got %s, want RST_STREAM 5 REFUSED_STREAM", describe(f))
		}
		// The client gives up on stream 1; stream 7 then fits.
		if err := rc.fr.WriteRSTStream(1, http2.ErrCodeCancel); err != nil {
			t.Fatal(err)
		}
		rc.request(7, "GET", "/quick", nil)
		var a answer
		for !a.ended {
			f, err := rc.next()
			if err != nil {
				t.Fatalf("stream 7: %v", err)
			}
			if !a.fold(7, f) || a.wasRST {
				t.Fatalf("waiting for stream 7: %s", describe(f))
			}
		}
		if a.status != "200" || a.body.String() != "quick" {
			t.Fatalf("stream 7: %s %q", a.status, a.body.String())
		}
		if n := calls.Load(); n != 3 {
			t.Errorf("the handler ran %d times, want 3 (streams 1, 3 and 7)", n)
		}
	})
}

// TestRapidReset: a client that opens streams and resets them at once
// (CVE-2023-44487) loses its connection (GOAWAY ENHANCE_YOUR_CALM) long
// before it has cost the server a handler call per frame pair; other
// clients are served.
func TestRapidReset(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		const pairs = 5000
		var calls atomic.Int64
		s := start(t, m, &phttp.Server{Handler: holdHandler(&calls)})
		rc := dialRaw(t, s, m, 20*time.Second)
		// Write from a goroutine: the server may stop reading, and
		// the reads below must go on.
		wrote := make(chan int, 1)
		go func() {
			i := 0
			for ; i < pairs; i++ {
				id := uint32(2*i + 1)
				rc.hbuf.Reset()
				rc.enc.WriteField(hpackField(":method", "GET"))
				rc.enc.WriteField(hpackField(":scheme", map[bool]string{false: "http", true: "https"}[m.tls]))
				rc.enc.WriteField(hpackField(":authority", s.Host))
				rc.enc.WriteField(hpackField(":path", "/hold"))
				if rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: rc.hbuf.Bytes(), EndHeaders: true, EndStream: true}) != nil ||
					rc.fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
					break
				}
			}
			wrote <- i
		}()
		g, err := untilGoAway(rc)
		if g == nil {
			t.Fatalf("no GOAWAY for %d rapid resets: %v", pairs, err)
		}
		if g.ErrCode != http2.ErrCodeEnhanceYourCalm && g.ErrCode != http2.ErrCodeProtocol {
			t.Errorf("GOAWAY %v, want ENHANCE_YOUR_CALM", g.ErrCode)
		}
		rc.c.Close()
		n := <-wrote
		t.Logf("GOAWAY %v after %d pairs written; %d handler calls", g.ErrCode, n, calls.Load())
		if c := calls.Load(); c >= pairs/2 {
			t.Errorf("%d handler calls for %d reset streams: not bounded", c, pairs)
		}
		stillServes(t, s, func() *rawConn { return dialRaw(t, s, m, 10*time.Second) })
	})
}

// TestContinuationFlood: a header block that never ends (HEADERS
// without END_HEADERS, then CONTINUATION frames without end) is cut off
// once it passes the header limit: GOAWAY and the connection's end,
// well before the client has sent 16 MiB of it.
func TestContinuationFlood(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		var calls atomic.Int64
		s := start(t, m, &phttp.Server{MaxHeaderBytes: 16 << 10, Handler: holdHandler(&calls)})
		rc := dialRaw(t, s, m, 20*time.Second)
		rc.hbuf.Reset()
		rc.enc.WriteField(hpackField(":method", "GET"))
		rc.enc.WriteField(hpackField(":path", "/hold"))
		wrote := make(chan int64, 1)
		go func() {
			var sent int64
			err := rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: rc.hbuf.Bytes()})
			// Each fragment: a literal header field without indexing
			// ("x-flood", 16,000 bytes of value), so that the block
			// decodes to ever more headers.
			frag := append([]byte{0x00, 7}, "x-flood"...)
			frag = append(frag, 0x7f, 0x81, 0x7c) // string length 16,000 (7-bit prefix integer)
			frag = append(frag, bytes.Repeat([]byte("a"), 16000)...)
			for err == nil && sent < 16<<20 {
				err = rc.fr.WriteContinuation(1, false, frag)
				sent += int64(len(frag))
			}
			wrote <- sent
		}()
		g, err := untilGoAway(rc)
		if g == nil && !isConnEnd(err) {
			t.Fatalf("no GOAWAY nor end for an endless header block: %v", err)
		}
		rc.c.Close()
		sent := <-wrote
		t.Logf("GOAWAY %v after %d bytes of CONTINUATION", goAwayCode(g), sent)
		if sent >= 16<<20 {
			t.Errorf("the server took all %d bytes of an endless header block", sent)
		}
		if calls.Load() != 0 {
			t.Errorf("the handler ran for an unfinished header block")
		}
		stillServes(t, s, func() *rawConn { return dialRaw(t, s, m, 10*time.Second) })
	})
}

// TestEmptyFrameFlood: DATA frames with no data and no END_STREAM cost
// the server work and carry nothing (CVE-2019-9518): the connection goes
// with GOAWAY after a bounded number of them.
func TestEmptyFrameFlood(t *testing.T) {
	eachMode(t, func(t *testing.T, m mode) {
		const frames = 100000
		var calls atomic.Int64
		s := start(t, m, &phttp.Server{Handler: holdHandler(&calls)})
		rc := dialRaw(t, s, m, 20*time.Second)
		rc.hbuf.Reset()
		rc.enc.WriteField(hpackField(":method", "POST"))
		rc.enc.WriteField(hpackField(":scheme", map[bool]string{false: "http", true: "https"}[m.tls]))
		rc.enc.WriteField(hpackField(":authority", s.Host))
		rc.enc.WriteField(hpackField(":path", "/hold"))
		wrote := make(chan int, 1)
		go func() {
			i := 0
			if rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: rc.hbuf.Bytes(), EndHeaders: true}) == nil {
				for ; i < frames && rc.fr.WriteData(1, false, nil) == nil; i++ {
				}
			}
			wrote <- i
		}()
		g, err := untilGoAway(rc)
		if g == nil {
			t.Fatalf("no GOAWAY for %d empty DATA frames: %v", frames, err)
		}
		rc.c.Close()
		n := <-wrote
		t.Logf("GOAWAY %v after %d empty frames written", g.ErrCode, n)
		if n >= frames {
			t.Errorf("the server read all %d empty frames before its GOAWAY", n)
		}
		stillServes(t, s, func() *rawConn { return dialRaw(t, s, m, 10*time.Second) })
	})
}

func hpackField(name, value string) hpack.HeaderField {
	return hpack.HeaderField{Name: name, Value: value}
}

func isConnEnd(err error) bool {
	return err != nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err))
}

func isReset(err error) bool {
	return err != nil && (bytes.Contains([]byte(err.Error()), []byte("reset by peer")) || bytes.Contains([]byte(err.Error()), []byte("broken pipe")))
}

func goAwayCode(g *http2.GoAwayFrame) string {
	if g == nil {
		return "(none: the connection ended)"
	}
	return fmt.Sprint(g.ErrCode)
}
