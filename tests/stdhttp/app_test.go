package stdhttp_test

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

//go:embed testdata/site
var siteFS embed.FS

// siteModTime is the modification time of the on-disk copy of the site,
// fixed so that If-Modified-Since means the same to both servers.
var siteModTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// siteDir copies the embedded site to a directory with fixed modification
// times, for http.FileServer over a real directory (and sendfile).
func siteDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "phttp-site-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sub, _ := fs.Sub(siteFS, "testdata/site")
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		return os.Chtimes(dst, siteModTime, siteModTime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// newApp is an ordinary net/http application, the kind a gateway has: a
// ServeMux with method and wildcard patterns, file servers over a
// directory and an embed.FS, bodies, redirects, streaming and aborts.
func newApp(dir string) http.Handler {
	mux := http.NewServeMux()
	sub, _ := fs.Sub(siteFS, "testdata/site")
	mux.Handle("/static/", http.StripPrefix("/static", http.FileServer(http.Dir(dir))))
	mux.Handle("/embed/", http.StripPrefix("/embed", http.FileServerFS(sub)))

	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Item", r.PathValue("id"))
		fmt.Fprintf(w, `{"id":%q,"query":%q}`, r.PathValue("id"), r.URL.Query().Get("q"))
	})
	mux.HandleFunc("DELETE /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Deleted", r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Location", "/items/new")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "len=%d cl=%d te=%v sha=%s\n", n, r.ContentLength, r.TransferEncoding, hex.EncodeToString(h.Sum(nil)))
	})
	mux.HandleFunc("GET /headers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		fmt.Fprintf(w, "accept=%q\n", r.Header.Values("Accept"))
		fmt.Fprintf(w, "x-multi=%q\n", r.Header.Values("X-Multi"))
		fmt.Fprintf(w, "host=%s uri=%s proto=%s close=%v\n", r.Host, r.RequestURI, r.Proto, r.Close)
	})
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/items/7?q=from-redirect", http.StatusFound)
	})
	mux.HandleFunc("GET /teapot", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Custom", "yes")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("short and stout"))
		w.Header().Set("X-Too-Late", "not sent") // after WriteHeader: ignored by both
	})
	mux.HandleFunc("GET /sniff", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<!DOCTYPE html><html><body>sniffed</body></html>"))
	})
	mux.HandleFunc("GET /small", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("s", 1000)))
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		for i := range 100 {
			fmt.Fprintf(w, "%04d %s\n", i, strings.Repeat("b", 995))
		}
	})
	mux.HandleFunc("GET /empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 5 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("GET /declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		w.Write([]byte("12345"))
		if _, err := w.Write([]byte("678")); err != http.ErrContentLength {
			panic(fmt.Sprintf("write past Content-Length: %v", err))
		}
	})
	mux.HandleFunc("GET /abort", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("GET /abort-early", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	})
	return mux
}
