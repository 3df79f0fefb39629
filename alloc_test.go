package phttp_test

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
)

// keepAliveClient sends one fixed request per call on one connection and
// reads the fixed-size answer into a reused buffer, so that it allocates
// nothing itself and AllocsPerRun counts the server's allocations.
type keepAliveClient struct {
	conn   net.Conn
	req    []byte
	answer []byte
}

func newKeepAliveClient(tb testing.TB, srv *phttp.Server) *keepAliveClient {
	tb.Helper()
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run() }()
	tb.Cleanup(func() {
		srv.Stop()
		if err := <-done; err != nil {
			tb.Errorf("Run: %v", err)
		}
	})
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	k := &keepAliveClient{conn: conn, req: []byte("GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")}
	// Learn the answer's size once; Date keeps it constant.
	k.conn.SetDeadline(time.Now().Add(5 * time.Second))
	conn.Write(k.req)
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.HasSuffix(buf[:n], []byte("Hello, World!")) {
		tb.Fatalf("unexpected answer %q", buf[:n])
	}
	k.answer = make([]byte, n)
	conn.SetDeadline(time.Time{})
	return k
}

func (k *keepAliveClient) roundTrip(tb testing.TB) {
	if _, err := k.conn.Write(k.req); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.ReadFull(k.conn, k.answer); err != nil {
		tb.Fatal(err)
	}
}

func plaintext(w *phttp.Response, r *phttp.Request) {
	w.SetHeader("Content-Type", "text/plain")
	w.WriteString("Hello, World!")
}

// TestKeepAliveGETAllocs holds the hot path to DESIGN.md's budget: at most
// one allocation per request (the copy of the head that the Request's
// strings share, which the head arena makes far less than one).
func TestKeepAliveGETAllocs(t *testing.T) {
	k := newKeepAliveClient(t, &phttp.Server{Handler: plaintext})
	for range 100 { // warm pools and buffers
		k.roundTrip(t)
	}
	allocs := testing.AllocsPerRun(1000, func() { k.roundTrip(t) })
	if allocs > 1 {
		t.Fatalf("keep-alive GET: %.2f allocations per request, want <= 1", allocs)
	}
	t.Logf("keep-alive GET: %.2f allocations per request", allocs)
}

// BenchmarkRequestCycle is a full keep-alive request/response over loopback.
func BenchmarkRequestCycle(b *testing.B) {
	k := newKeepAliveClient(b, &phttp.Server{Handler: plaintext})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		k.roundTrip(b)
	}
}
