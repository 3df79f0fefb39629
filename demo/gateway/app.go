package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/demo/ui"
	"github.com/phttp-go/phttp/stdhttp"
)

// app is the gateway's state. notes and sockets belong to the loop
// goroutine: the handler and posted functions touch them, nothing else,
// so they need no lock.
type app struct {
	srv       *phttp.Server
	dir       string // where uploads are stored
	devOrigin string // a dev server's origin allowed to call the API, or ""
	started   time.Time
	static    phttp.Handler // the embedded UI: http.FileServerFS through stdhttp
	notes     []note
	sockets   map[phttp.ConnID]bool
	stop      chan struct{} // closed on shutdown: ends the feeds
}

type note struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

func newApp(dir, devOrigin string) *app {
	a := &app{dir: dir, devOrigin: devOrigin, started: time.Now(), static: stdhttp.Handler(http.FileServerFS(ui.Files)), sockets: map[phttp.ConnID]bool{}, stop: make(chan struct{})}
	a.srv = &phttp.Server{
		Handler:      a.handle,
		MaxBodyBytes: 1 << 30,
		StreamBody:   func(r *phttp.Request) bool { return strings.HasPrefix(r.Path, "/upload/") },
	}
	if devOrigin != "" {
		a.srv.AllowedOrigins = []string{devOrigin}
	}
	return a
}

func (a *app) handle(w *phttp.Response, r *phttp.Request) {
	switch r.Type {
	case phttp.WebSocketText:
		w.SendWebSocket(phttp.WebSocketText, r.Body) // echo
		return
	case phttp.WebSocketClose:
		delete(a.sockets, r.ConnID)
		return
	case phttp.HTTP:
	default:
		return
	}
	if a.devOrigin != "" && r.Header.Get("Origin") == a.devOrigin {
		w.SetHeader("Access-Control-Allow-Origin", a.devOrigin)
		w.SetHeader("Vary", "Origin")
		if r.Method == "OPTIONS" {
			w.SetHeader("Access-Control-Allow-Methods", "GET, POST")
			w.SetHeader("Access-Control-Allow-Headers", "Content-Type")
			w.Status = 204
			return
		}
	}
	switch route := r.Method + " " + r.Path; {
	case route == "GET /ws":
		w.AcceptWebSocket("")
		if w.Status == 101 {
			a.sockets[r.ConnID] = true
		}
	case route == "GET /events":
		a.events(w, r)
	case route == "GET /api/status":
		writeJSON(w, 200, map[string]any{"uptime": time.Since(a.started).Round(time.Second).String(), "sockets": len(a.sockets), "notes": len(a.notes)})
	case route == "GET /api/notes":
		writeJSON(w, 200, a.notes)
	case route == "POST /api/notes":
		a.addNote(w, r)
	case strings.HasPrefix(route, "POST /upload/"):
		a.upload(w, r)
	case strings.HasPrefix(route, "GET /download/"):
		a.download(w, r)
	case r.Method == "GET" || r.Method == "HEAD":
		a.static(w, r) // net/http's file server, through the bridge
	default:
		writeJSON(w, 405, map[string]string{"error": "method not allowed"})
	}
}

func writeJSON(w *phttp.Response, status int, v any) {
	w.Status = status
	w.SetHeader("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (a *app) addNote(w *phttp.Response, r *phttp.Request) {
	var n note
	if err := json.Unmarshal(r.Body, &n); err != nil || n.Text == "" {
		writeJSON(w, 400, map[string]string{"error": "want {\"text\": \"...\"}"})
		return
	}
	n.ID = len(a.notes) + 1
	a.notes = append(a.notes, n)
	writeJSON(w, 201, n)
	a.broadcast(fmt.Sprintf(`{"note":%d}`, n.ID))
}

// broadcast sends msg to every open WebSocket. On the loop goroutine
// (the handler, or a function passed to Post).
func (a *app) broadcast(msg string) {
	for id := range a.sockets {
		a.srv.TrySendWebSocket(id, phttp.WebSocketText, []byte(msg)) // a full queue skips a slow client
	}
}

// ticks pushes a tick to every WebSocket until stop.
func (a *app) ticks(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-a.stop:
			return
		case <-t.C:
			msg := fmt.Sprintf(`{"tick":%d}`, n)
			if a.srv.Post(func() { a.broadcast(msg) }) != nil {
				return
			}
		}
	}
}

// events is a Server-Sent Events feed, pushed by a goroutine of its own.
func (a *app) events(w *phttp.Response, r *phttp.Request) {
	ctx := r.Context()
	w.SetHeader("Content-Type", "text/event-stream")
	w.SetHeader("Cache-Control", "no-cache")
	w.Detach()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			fmt.Fprintf(w, "data: %s\n\n", time.Now().Format(time.TimeOnly))
			if w.Flush() != nil {
				return // the client went away
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			case <-a.stop:
				w.Send()
				return
			}
		}
	}()
}

// fileName is the file an /upload/ or /download/ path names, or "".
func fileName(p string) string {
	name := path.Base(p)
	if name == "." || name == "/" || name == ".." || strings.HasPrefix(name, ".") {
		return ""
	}
	return name
}

// upload streams the body to a file: the disk sets the pace, not memory.
func (a *app) upload(w *phttp.Response, r *phttp.Request) {
	name := fileName(r.Path)
	if name == "" {
		writeJSON(w, 400, map[string]string{"error": "bad file name"})
		return
	}
	body := r.BodyReader()
	w.Detach()
	go func() {
		tmp, err := os.CreateTemp(a.dir, ".upload-*")
		if err != nil {
			writeJSON(w, 500, map[string]string{"error": err.Error()})
			w.Send()
			return
		}
		defer os.Remove(tmp.Name()) // a no-op once renamed
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(tmp, h), body)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), filepath.Join(a.dir, name))
		}
		if err != nil { // the client went away, the body was too large, or the disk failed
			w.Abort()
			return
		}
		writeJSON(w, 201, map[string]any{"name": name, "bytes": n, "sha256": hex.EncodeToString(h.Sum(nil))})
		w.Send()
	}()
}

// download sends an uploaded file (sendfile(2) on Linux).
func (a *app) download(w *phttp.Response, r *phttp.Request) {
	name := fileName(r.Path)
	if name == "" {
		writeJSON(w, 404, map[string]string{"error": "no such file"})
		return
	}
	w.Detach()
	go func() {
		f, err := os.Open(filepath.Join(a.dir, name))
		if err != nil {
			writeJSON(w, 404, map[string]string{"error": "no such file"})
			w.Send()
			return
		}
		defer f.Close()
		w.SetHeader("Content-Type", "application/octet-stream")
		if _, err := io.Copy(w, f); err != nil {
			return // the client went away
		}
		w.Send()
	}()
}
