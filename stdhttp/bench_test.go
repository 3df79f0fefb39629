package stdhttp_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/stdhttp"
)

// plaintextMux is the benchmark's net/http application.
func plaintextMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Hello, World!"))
	})
	return mux
}

// servePhttp runs h on a phttp server on loopback until the test ends.
func servePhttp(tb testing.TB, h phttp.Handler) string {
	srv := &phttp.Server{Handler: h}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run() }()
	tb.Cleanup(func() { srv.Stop(); <-done })
	return srv.Addr().String()
}

// serveNetHTTP runs h on net/http's server on loopback.
func serveNetHTTP(tb testing.TB, h http.Handler) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	tb.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// benchKeepAlive sends b.N GETs one after another on one keep-alive
// connection and reads each answer.
func benchKeepAlive(b *testing.B, addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\n\r\n")
	br := bufio.NewReader(c)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// The three benchmarks serve the same handler; their ratios (and allocs,
// which include the client's http.ReadResponse, the same in all three)
// are what DESIGN.md quotes.
func BenchmarkOnLoop(b *testing.B) { benchKeepAlive(b, servePhttp(b, stdhttp.OnLoop(plaintextMux()))) }
func BenchmarkHandler(b *testing.B) {
	benchKeepAlive(b, servePhttp(b, stdhttp.Handler(plaintextMux())))
}
func BenchmarkNetHTTP(b *testing.B) { benchKeepAlive(b, serveNetHTTP(b, plaintextMux())) }
