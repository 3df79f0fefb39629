package async

import (
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
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
// and discards the body (benchSize bytes) through a 64 KiB buffer.
func benchDownload(b *testing.B, url string) { benchDownloadSize(b, url, benchSize) }

func benchDownloadSize(b *testing.B, url string, benchSize int64) {
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

const fileBenchSize = 64 * mib

// BenchmarkReadFromFile: a detached answer sends a 64 MiB file with
// io.Copy (ReadFrom: sendfile(2) on Linux), over loopback.
func BenchmarkReadFromFile(b *testing.B) {
	path, _ := patternFile(b, fileBenchSize)
	s := fileServer(b, path, nil)
	benchDownloadSize(b, s.URL+"/file", fileBenchSize)
}

// BenchmarkReadFromFileNetHTTP is BenchmarkReadFromFile served by
// net/http: io.Copy of the file to its ResponseWriter (sendfile too).
func BenchmarkReadFromFileNetHTTP(b *testing.B) {
	path, _ := patternFile(b, fileBenchSize)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(path)
		if err != nil {
			return
		}
		defer f.Close()
		w.Header().Set("Content-Length", strconv.Itoa(fileBenchSize))
		io.Copy(w, f)
	})}
	go srv.Serve(l)
	defer srv.Close()
	benchDownloadSize(b, "http://"+l.Addr().String()+"/file", fileBenchSize)
}

const uploadBenchSize = 64 * mib

// benchUpload POSTs uploadBenchSize bytes to url b.N times.
func benchUpload(b *testing.B, url string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	b.SetBytes(uploadBenchSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest("POST", url, testserver.Pattern(uploadBenchSize))
		req.ContentLength = uploadBenchSize
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkUploadBodyReader: a 64 MiB upload read by a goroutine through
// BodyReader (back-pressured by a 64 KiB window), over loopback.
func BenchmarkUploadBodyReader(b *testing.B) {
	s := testserver.Start(b, &phttp.Server{MaxBodyBytes: 1 << 30, StreamBodies: true, Handler: func(w *phttp.Response, r *phttp.Request) {
		body := r.BodyReader()
		w.Detach()
		go func() {
			n, _ := io.Copy(io.Discard, body)
			w.WriteString(strconv.FormatInt(n, 10))
			w.Send()
		}()
	}})
	benchUpload(b, s.URL+"/upload")
}

// BenchmarkUploadNetHTTP is BenchmarkUploadBodyReader served by net/http.
func BenchmarkUploadNetHTTP(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		io.WriteString(w, strconv.FormatInt(n, 10))
	})}
	go srv.Serve(l)
	defer srv.Close()
	benchUpload(b, "http://"+l.Addr().String()+"/upload")
}
