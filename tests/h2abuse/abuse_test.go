package h2abuse_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
	"golang.org/x/net/http2"
)

func hello(w *phttp.Response, r *phttp.Request) {
	fmt.Fprintf(w, "%s %s %d", r.Method, r.Path, len(r.Body))
}

// TestRapidReset: a client that opens streams and resets each at once
// (CVE-2023-44487) is told ENHANCE_YOUR_CALM and closed after a bounded
// number of them; other clients go on.
func TestRapidReset(t *testing.T) {
	s := start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path == "/ok" {
			hello(w, r)
			return
		}
		// Work that takes a while, as a gateway's does: a reset before
		// the answer makes it work for nothing.
		ctx := r.Context()
		w.Detach()
		go func() {
			<-ctx.Done()
			w.Send()
		}()
	}})
	h := dial(t, s)
	floodCalms(t, s, h, func() error {
		for id := uint32(1); id < 20000; id += 2 {
			if err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h.block("GET", "/x"), EndStream: true, EndHeaders: true}); err != nil {
				return err
			}
			if err := h.fr.WriteRSTStream(id, http2.ErrCodeCancel); err != nil {
				return err
			}
		}
		return nil
	})
	if n := s.Server.Stats().Requests; n > 1000 {
		t.Errorf("%d handler calls before the connection went; the bound is a few hundred", n)
	}
}

// TestContinuationFlood: a header block that never ends (CVE-2024-27316)
// is cut at twice MaxHeaderBytes, not gathered forever.
func TestContinuationFlood(t *testing.T) {
	s := start(t, &phttp.Server{Handler: hello, MaxHeaderBytes: 8 << 10})
	h := dial(t, s)
	floodCalms(t, s, h, func() error {
		h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: h.block("GET", "/")})
		junk := bytes.Repeat([]byte{0x40, 0x01, 'x', 0x01, 'y'}, 800) // literal fields, 4000 bytes a frame
		for range 1000 {
			if err := h.fr.WriteContinuation(1, false, junk); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestEmptyFrameFlood: DATA frames without data or end (CVE-2019-9518)
// close the connection once they pass the bound.
func TestEmptyFrameFlood(t *testing.T) {
	s := start(t, &phttp.Server{Handler: hello})
	h := dial(t, s)
	h.request(1, "POST", "/", false)
	floodCalms(t, s, h, func() error {
		for range 10000 {
			if err := h.fr.WriteData(1, false, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// floodCalms runs flood on its own goroutine (it stops at the first
// write that fails: the server closed) and expects GOAWAY
// ENHANCE_YOUR_CALM, then a server that serves a new client.
func floodCalms(t *testing.T, s *testserver.Running, h *h2client, flood func() error) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); flood() }()
	code, ok := h.goAway()
	if !ok || code != http2.ErrCodeEnhanceYourCalm {
		t.Fatalf("GOAWAY %v (%v), want ENHANCE_YOUR_CALM", code, ok)
	}
	h.c.Close()
	<-done
	works(t, s)
}

// TestPingAndSettingsFlood: a client that sends PINGs and SETTINGS and
// never reads the answers (CVE-2019-9512, -9515) stops being read once
// the acknowledgements fill SendQueueBytes: the server's queue stays
// bounded, and others are served meanwhile.
func TestPingAndSettingsFlood(t *testing.T) {
	const queue = 256 << 10
	s := start(t, &phttp.Server{Handler: hello, SendQueueBytes: queue})
	for _, kind := range []string{"ping", "settings"} {
		h := dial(t, s)
		h.c.SetWriteDeadline(time.Now().Add(3 * time.Second))
		var sent int
		for sent = 0; sent < 2_000_000; sent++ {
			var err error
			if kind == "ping" {
				err = h.fr.WritePing(false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
			} else {
				err = h.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 15})
			}
			if err != nil {
				break // the server stopped reading: our writes fill the socket buffers, and time out
			}
		}
		if sent == 2_000_000 {
			t.Fatalf("%s flood: the server read 2,000,000 frames without the client reading one acknowledgement", kind)
		}
		if q := s.Server.Stats().QueuedBytes; q > 2*queue {
			t.Errorf("%s flood: %d bytes queued, over twice SendQueueBytes", kind, q)
		}
		works(t, s)
		h.c.Close()
	}
}

// TestMaxConcurrentStreams: MaxConcurrentStreams streams may wait for
// their answers at once; one more is refused with REFUSED_STREAM, and the
// others are answered.
func TestMaxConcurrentStreams(t *testing.T) {
	const max = 8
	release := make(chan struct{})
	s := start(t, &phttp.Server{MaxConcurrentStreams: max, Handler: func(w *phttp.Response, r *phttp.Request) {
		w.Detach()
		go func() {
			<-release
			w.WriteString("late")
			w.Send()
		}()
	}})
	h := dial(t, s)
	var ids []uint32
	for i := range max + 1 {
		id := uint32(2*i + 1)
		h.request(id, "GET", "/", true)
		ids = append(ids, id)
	}
	// The one past the limit is refused before anyone is answered.
	f, err := h.fr.ReadFrame()
	for err == nil {
		if _, ok := f.(*http2.RSTStreamFrame); ok || f.Header().Type == http2.FrameHeaders {
			break
		}
		f, err = h.fr.ReadFrame()
	}
	if err != nil {
		t.Fatal(err)
	}
	rst, ok := f.(*http2.RSTStreamFrame)
	if !ok || rst.StreamID != ids[max] || rst.ErrCode != http2.ErrCodeRefusedStream {
		t.Fatalf("got %v, want RST_STREAM REFUSED_STREAM on stream %d", f, ids[max])
	}
	close(release)
	for id, a := range h.read(ids[:max]...) {
		if a.status != 200 || string(a.body) != "late" {
			t.Errorf("stream %d: %+v", id, a)
		}
	}
}

// TestHeaderListLimit: a header list at MaxHeaderBytes is served; one
// past it is answered 431 on its stream, and the connection goes on.
func TestHeaderListLimit(t *testing.T) {
	const limit = 4 << 10
	s := start(t, &phttp.Server{Handler: hello, MaxHeaderBytes: limit})
	h := dial(t, s)
	// SETTINGS_MAX_HEADER_LIST_SIZE counts each field as name + value + 32.
	base := len(":method") + len("GET") + len(":scheme") + len("http") + len(":authority") + len("localhost") + len(":path") + len("/") + 4*32
	fill := limit - base - len("x-fill") - 32
	h.request(1, "GET", "/", true, "x-fill", strings.Repeat("a", fill))
	h.request(3, "GET", "/", true, "x-fill", strings.Repeat("a", fill+1))
	got := h.read(1, 3)
	if got[1].status != 200 {
		t.Errorf("at the limit: %+v", got[1])
	}
	if got[3].status != 431 {
		t.Errorf("one byte past the limit: %+v", got[3])
	}
	works(t, s)
}

// TestBodyLimit: a body of MaxBodyBytes is served; one byte more is
// answered 413, announced by content-length or not.
func TestBodyLimit(t *testing.T) {
	const limit = 100 << 10
	s := start(t, &phttp.Server{Handler: hello, MaxBodyBytes: limit})
	h := dial(t, s)
	send := func(id uint32, n int, announce bool) {
		var extra []string
		if announce {
			extra = []string{"content-length", fmt.Sprint(n)}
		}
		h.request(id, "POST", "/", false, extra...)
		body := bytes.Repeat([]byte("b"), n)
		for len(body) > 0 {
			k := min(len(body), 16<<10)
			if err := h.write(func(fr *http2.Framer) error { return fr.WriteData(id, k == len(body), body[:k]) }); err != nil {
				return
			}
			body = body[k:]
		}
	}
	go send(1, limit, false)
	if a := h.read(1)[1]; a.status != 200 || string(a.body) != fmt.Sprintf("POST / %d", limit) {
		t.Errorf("at the limit: %d %q", a.status, a.body)
	}
	h.request(3, "POST", "/", false, "content-length", fmt.Sprint(limit+1))
	if a := h.read(3)[3]; a.status != 413 {
		t.Errorf("a content-length one past the limit: %+v", a)
	}
	h2 := dial(t, s)
	h = h2
	go send(1, limit+1, false)
	if a := h.read(1)[1]; a.status != 413 {
		t.Errorf("a body one byte past the limit: %d %q", a.status, a.body)
	}
}

// TestSlowStreamHoldsOnlyItself: a stream whose client grants no more
// window holds its own sender (and only it); another stream's answer
// goes out whole meanwhile, and the held one finishes once the window
// opens.
func TestSlowStreamHoldsOnlyItself(t *testing.T) {
	const big = 2 << 20
	sent := make(chan error, 1)
	s := start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path != "/big" {
			w.WriteString("small")
			return
		}
		w.Detach()
		go func() {
			piece := bytes.Repeat([]byte("z"), 64<<10)
			for i := 0; i < big/len(piece); i++ {
				w.Write(piece)
				if err := w.Flush(); err != nil {
					sent <- err
					return
				}
			}
			sent <- w.Send()
		}()
	}})
	h := dial(t, s)
	h.fr.WriteWindowUpdate(0, 1<<30) // the connection's window is wide open, as Go's client leaves it: only the stream's holds
	h.request(1, "GET", "/big", true)
	// Read stream 1's first window's worth, granting nothing more.
	got := 0
	for got < 65535 {
		f, err := h.fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := f.(*http2.DataFrame); ok && d.StreamID == 1 {
			got += len(d.Data())
		}
	}
	if got != 65535 {
		t.Fatalf("the stream sent %d bytes on a 65535-byte window", got)
	}
	h.request(3, "GET", "/small", true)
	if a := h.read(3)[3]; a.status != 200 || string(a.body) != "small" {
		t.Fatalf("the other stream got %+v while the first was held", a)
	}
	select {
	case err := <-sent:
		t.Fatalf("the held stream's sender finished (%v) with the window shut: it should wait", err)
	default:
	}
	// Open the window: the rest arrives.
	h.fr.WriteWindowUpdate(1, big)
	a := h.read(1)[1]
	if err := <-sent; err != nil {
		t.Fatalf("the held stream's Send: %v", err)
	}
	if got+len(a.body) != big {
		t.Errorf("the held stream delivered %d bytes, want %d", got+len(a.body), big)
	}
}

// TestClientResetEndsContext: RST_STREAM from the client ends the
// stream's Context with ErrClosed and fails its detached sends.
func TestClientResetEndsContext(t *testing.T) {
	ended := make(chan error, 1)
	s := start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path == "/ok" {
			hello(w, r)
			return
		}
		ctx := r.Context()
		w.Detach()
		go func() {
			<-ctx.Done()
			w.WriteString("too late")
			ended <- w.Send()
		}()
	}})
	h := dial(t, s)
	h.request(1, "GET", "/", true)
	h.fr.WriteRSTStream(1, http2.ErrCodeCancel)
	select {
	case err := <-ended:
		if err != phttp.ErrClosed {
			t.Errorf("Send after the client's reset: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the context did not end after RST_STREAM")
	}
	works(t, s)
}

// TestUploadWindowFollowsReader: a streamed upload to a BodyReader is
// held by flow control: the server never lets the client have more than
// the stream's 64 KiB window beyond what the reader took, however slowly
// it reads, and the 4 MiB arrive whole.
func TestUploadWindowFollowsReader(t *testing.T) {
	const size = 4 << 20
	const window = 64 << 10
	const readSize = 4 << 10
	var consumed atomic.Int64
	s := start(t, &phttp.Server{StreamBodies: true, Handler: func(w *phttp.Response, r *phttp.Request) {
		body := r.BodyReader()
		w.Detach()
		go func() {
			buf := make([]byte, readSize) // small reads: many window updates
			for {
				n, err := body.Read(buf)
				consumed.Add(int64(n))
				if err != nil {
					break
				}
			}
			fmt.Fprint(w, consumed.Load())
			w.Send()
		}()
	}})
	h := dial(t, s)
	h.request(1, "POST", "/up", false)
	granted := int64(window) // SETTINGS_INITIAL_WINDOW_SIZE, as the server announced
	sent := int64(0)
	chunk := bytes.Repeat([]byte("u"), 16<<10)
	for sent < size {
		for sent < granted && sent < size {
			k := min(int64(len(chunk)), granted-sent, size-sent)
			if err := h.fr.WriteData(1, sent+k == size, chunk[:k]); err != nil {
				t.Fatal(err)
			}
			sent += k
		}
		if sent == size {
			break
		}
		f, err := h.fr.ReadFrame()
		if err != nil {
			t.Fatalf("after %d bytes: %v", sent, err)
		}
		if wu, ok := f.(*http2.WindowUpdateFrame); ok && wu.StreamID == 1 {
			granted += int64(wu.Increment)
			// The reader counts a Read after it returns: one read's
			// worth may be taken and not yet counted.
			if ahead := granted - consumed.Load(); ahead > window+readSize {
				t.Fatalf("the server granted %d bytes beyond what its reader took, over the %d window", ahead, window)
			}
		}
		if rst, ok := f.(*http2.RSTStreamFrame); ok {
			t.Fatalf("stream reset: %v", rst.ErrCode)
		}
	}
	a := h.read(1)[1]
	if a.status != 200 || string(a.body) != fmt.Sprint(size) {
		t.Fatalf("upload: %d %q (reset %v), want %d bytes read", a.status, a.body, a.reset, size)
	}
}

// TestStalledStreamReset: a stream whose client grants no window for
// WriteTimeout is reset (RST_STREAM CANCEL) and its sender gets
// ErrClosed, as a stalled HTTP/1.1 client is closed; the connection and
// its other streams go on.
func TestStalledStreamReset(t *testing.T) {
	sent := make(chan error, 1)
	s := start(t, &phttp.Server{WriteTimeout: 300 * time.Millisecond, Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path == "/ok" {
			hello(w, r)
			return
		}
		w.Detach()
		go func() {
			piece := bytes.Repeat([]byte("z"), 64<<10)
			for {
				w.Write(piece)
				if err := w.Flush(); err != nil {
					sent <- err
					return
				}
			}
		}()
	}})
	h := dial(t, s)
	h.write(func(fr *http2.Framer) error { return fr.WriteWindowUpdate(0, 1<<30) })
	h.request(1, "GET", "/stall", true)
	start := time.Now()
	var rst *http2.RSTStreamFrame
	for rst == nil {
		f, err := h.fr.ReadFrame()
		if err != nil {
			t.Fatalf("waiting for the reset: %v", err)
		}
		if r, ok := f.(*http2.RSTStreamFrame); ok && r.StreamID == 1 {
			rst = r
		}
	}
	if rst.ErrCode != http2.ErrCodeCancel {
		t.Errorf("RST_STREAM %v, want CANCEL", rst.ErrCode)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("reset after %v, before WriteTimeout", d)
	}
	select {
	case err := <-sent:
		if err != phttp.ErrClosed {
			t.Errorf("the held sender's Flush: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the held sender still waits after the reset")
	}
	if n := s.Server.Stats().Evicted; n != 1 {
		t.Errorf("Stats.Evicted %d, want 1", n)
	}
	h.request(3, "GET", "/ok", true)
	if a := h.read(3)[3]; a.status != 200 {
		t.Errorf("the connection's next stream: %+v", a)
	}
}
