package async

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

const (
	benchSize  = 32 * mib
	benchPiece = 64 * kib
)

// benchDownload GETs url b.N times with one kept-alive net/http client
// and discards the body through a 64 KiB buffer.
func benchDownload(b *testing.B, url string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	buf := make([]byte, 64*kib)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		resp, err := hc.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, resp.Body, buf)
		resp.Body.Close()
		if err != nil || n != benchSize {
			b.Fatalf("%d of %d bytes: %v", n, benchSize, err)
		}
	}
}

// BenchmarkStreamDownload: a detached 32 MiB answer streamed by a
// goroutine in 64 KiB Flushes, over loopback.
func BenchmarkStreamDownload(b *testing.B) {
	piece := appendPattern(nil, 0, 1, benchPiece)
	s := testserver.Start(b, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		w.SetHeader("Content-Type", "application/octet-stream")
		w.Detach()
		go func() {
			for range benchSize / benchPiece {
				w.Write(piece)
				if w.Flush() != nil {
					return
				}
			}
			w.Send()
		}()
	}})
	benchDownload(b, s.URL+"/download")
}

// BenchmarkStreamDownloadNetHTTP is BenchmarkStreamDownload served by
// net/http, flushing with http.Flusher.
func BenchmarkStreamDownloadNetHTTP(b *testing.B) {
	piece := appendPattern(nil, 0, 1, benchPiece)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		f := w.(http.Flusher)
		for range benchSize / benchPiece {
			if _, err := w.Write(piece); err != nil {
				return
			}
			f.Flush()
		}
	})}
	go srv.Serve(l)
	defer srv.Close()
	benchDownload(b, "http://"+l.Addr().String()+"/download")
}
