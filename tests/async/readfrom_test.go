package async

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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

// patternFile writes n bytes of the upload tests' pattern to a temporary
// file and returns its path and sha256.
func patternFile(t testing.TB, n int64) (string, string) {
	// Not t.TempDir: wine cannot remove a directory tree (unlinkat).
	f, err := os.CreateTemp("", "phttp-pattern-*")
	if err != nil {
		t.Fatal(err)
	}
	path := f.Name()
	t.Cleanup(func() { os.Remove(path) })
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), testserver.Pattern(n)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path, hex.EncodeToString(h.Sum(nil))
}

// fileServer answers /file by streaming the file at path with io.Copy
// from a goroutine; /chunked flushes a prefix first, so the file goes out
// as a chunk; /reader sends a non-file reader; /inline reads it in the
// handler. ReadFrom's results go to results.
func fileServer(t testing.TB, path string, results chan<- error) *testserver.Running {
	return testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path == "/inline" {
			f, _ := os.Open(path)
			defer f.Close()
			io.Copy(w, io.LimitReader(f, 1000))
			return
		}
		w.Detach()
		go func() {
			var src io.Reader
			f, err := os.Open(path)
			if err != nil {
				w.Abort()
				return
			}
			defer f.Close()
			src = f
			switch r.Path {
			case "/chunked":
				w.WriteString("prefix:")
				w.Flush()
			case "/reader":
				src = struct{ io.Reader }{f} // hides the file: the copy path
			}
			_, err = io.Copy(w, src)
			if results != nil {
				results <- err
			}
			if err == nil {
				w.Send()
			}
		}()
	}})
}

// TestReadFrom: a file sent with io.Copy from a detached goroutine
// arrives whole, with its size as Content-Length when nothing came
// before it, chunked after a Flush, and through the copy path for a
// reader that is not a file; in the handler it is read into Body.
func TestReadFrom(t *testing.T) {
	const size = 3<<20 + 17
	path, sum := patternFile(t, size)
	s := fileServer(t, path, nil)
	client := testserver.Client()
	for _, tc := range []struct {
		path    string
		prefix  string
		length  int64
		chunked bool
	}{
		{"/file", "", size, false},
		{"/chunked", "prefix:", -1, true},
		{"/reader", "", -1, true},
	} {
		resp, err := client.Get(s.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(resp.Body)
		prefix := make([]byte, len(tc.prefix))
		io.ReadFull(br, prefix)
		h := sha256.New()
		n, err := io.Copy(h, br)
		resp.Body.Close()
		if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != sum || string(prefix) != tc.prefix {
			t.Errorf("%s: %d bytes (%v), prefix %q, sha256 match %v", tc.path, n, err, prefix, hex.EncodeToString(h.Sum(nil)) == sum)
		}
		if resp.ContentLength != tc.length || (len(resp.TransferEncoding) > 0) != tc.chunked {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v; want %d, chunked %v", tc.path, resp.ContentLength, resp.TransferEncoding, tc.length, tc.chunked)
		}
	}
	resp, err := client.Get(s.URL + "/inline")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(body) != 1000 || resp.ContentLength != 1000 {
		t.Errorf("ReadFrom in the handler: %d bytes, Content-Length %d", len(body), resp.ContentLength)
	}
}

// TestReadFromSlowClient: a 128 MiB file sent to a client that reads
// slowly keeps the server's heap flat and arrives intact; a client that
// leaves mid-file makes ReadFrom return ErrClosed.
func TestReadFromSlowClient(t *testing.T) {
	const size = 128 << 20
	path, sum := patternFile(t, size)
	results := make(chan error, 2)
	s := fileServer(t, path, results)
	heap := testserver.StartHeapSampler(5 * time.Millisecond)
	c, err := dialSmallBuffer("tcp", s.Host, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	io.WriteString(c, getRequest("/file"))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	buf := make([]byte, 64<<10)
	var got int64
	for {
		n, err := resp.Body.Read(buf)
		h.Write(buf[:n])
		got += int64(n)
		if err != nil {
			break
		}
		if got%(4<<20) < int64(n) {
			time.Sleep(time.Millisecond) // a slow reader
		}
	}
	heap.Finish()
	if got != size || hex.EncodeToString(h.Sum(nil)) != sum || resp.Header.Get("Content-Length") != strconv.Itoa(size) {
		t.Fatalf("128 MiB file: %d bytes, sha256 match %v, Content-Length %q", got, hex.EncodeToString(h.Sum(nil)) == sum, resp.Header.Get("Content-Length"))
	}
	if err := recvTimeout(t, results, 5*time.Second, "ReadFrom's result"); err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	growth := int64(heap.InuseGrowth())
	t.Logf("heap in use grew by %.1f MiB at most", float64(growth)/(1<<20))
	if growth > 48<<20 {
		t.Errorf("heap grew by %d MiB sending a 128 MiB file; want under 48 MiB", growth>>20)
	}

	// A client that leaves mid-file.
	c2, err := net.Dial("tcp", s.Host)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c2, getRequest("/file"))
	io.ReadFull(c2, make([]byte, 1<<20))
	c2.Close()
	if err := recvTimeout(t, results, 10*time.Second, "ReadFrom's result"); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("client gone mid-file: ReadFrom returned %v, want ErrClosed", err)
	}
}
