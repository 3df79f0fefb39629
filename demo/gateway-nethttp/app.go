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
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp/demo/ui"
)

// app is the same gateway as demo/gateway, on net/http and
// gorilla/websocket, for comparison. Handlers run on goroutines of their
// own, so the shared state takes a lock, and each WebSocket needs a
// writer goroutine of its own (a gorilla connection takes one writer at a
// time).
type app struct {
	srv       *http.Server
	dir       string
	devOrigin string
	started   time.Time
	upgrader  websocket.Upgrader
	stop      chan struct{}

	mu      sync.Mutex // guards notes and sockets
	notes   []note
	sockets map[*socket]bool
}

type note struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

// socket is one WebSocket client: send feeds its writer goroutine.
type socket struct {
	conn *websocket.Conn
	send chan []byte
}

func newApp(dir, devOrigin string) *app {
	a := &app{dir: dir, devOrigin: devOrigin, started: time.Now(), sockets: map[*socket]bool{}, stop: make(chan struct{})}
	a.upgrader.CheckOrigin = func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		return origin == "" || origin == "http://"+r.Host || (devOrigin != "" && origin == devOrigin)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", a.ws)
	mux.HandleFunc("GET /events", a.events)
	mux.HandleFunc("GET /api/status", a.status)
	mux.HandleFunc("GET /api/notes", a.listNotes)
	mux.HandleFunc("POST /api/notes", a.addNote)
	mux.HandleFunc("POST /upload/{name}", a.upload)
	mux.HandleFunc("GET /download/{name}", a.download)
	mux.Handle("GET /", http.FileServerFS(ui.Files))
	a.srv = &http.Server{Handler: a.cors(mux), ReadHeaderTimeout: 10 * time.Second}
	return a
}

// cors lets the dev server's pages call the API.
func (a *app) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.devOrigin != "" && r.Header.Get("Origin") == a.devOrigin {
			w.Header().Set("Access-Control-Allow-Origin", a.devOrigin)
			w.Header().Set("Vary", "Origin")
			if r.Method == "OPTIONS" {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
				w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
				w.WriteHeader(204)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (a *app) status(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	sockets, notes := len(a.sockets), len(a.notes)
	a.mu.Unlock()
	writeJSON(w, 200, map[string]any{"uptime": time.Since(a.started).Round(time.Second).String(), "sockets": sockets, "notes": notes})
}

func (a *app) listNotes(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	notes := append([]note(nil), a.notes...)
	a.mu.Unlock()
	writeJSON(w, 200, notes)
}

func (a *app) addNote(w http.ResponseWriter, r *http.Request) {
	var n note
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<20)).Decode(&n); err != nil || n.Text == "" {
		writeJSON(w, 400, map[string]string{"error": "want {\"text\": \"...\"}"})
		return
	}
	a.mu.Lock()
	n.ID = len(a.notes) + 1
	a.notes = append(a.notes, n)
	a.mu.Unlock()
	writeJSON(w, 201, n)
	a.broadcast(fmt.Sprintf(`{"note":%d}`, n.ID))
}

func (a *app) ws(w http.ResponseWriter, r *http.Request) {
	conn, err := a.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	s := &socket{conn: conn, send: make(chan []byte, 64)}
	a.mu.Lock()
	a.sockets[s] = true
	a.mu.Unlock()
	go s.writeLoop()
	defer func() {
		a.mu.Lock()
		delete(a.sockets, s)
		a.mu.Unlock()
		close(s.send)
		conn.Close()
	}()
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		select {
		case s.send <- msg: // echo
		default: // a slow client loses the echo rather than block the reader
		}
	}
}

// writeLoop is the socket's one writer; a client that takes nothing for
// 10 s is dropped.
func (s *socket) writeLoop() {
	for msg := range s.send {
		s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := s.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			s.conn.Close()
			for range s.send { // drain until the reader closes send
			}
			return
		}
	}
}

func (a *app) broadcast(msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for s := range a.sockets {
		select {
		case s.send <- []byte(msg):
		default: // a full queue skips a slow client
		}
	}
}

func (a *app) ticks(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-a.stop:
			return
		case <-t.C:
			a.broadcast(fmt.Sprintf(`{"tick":%d}`, n))
		}
	}
}

func (a *app) events(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	flusher := w.(http.Flusher)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		fmt.Fprintf(w, "data: %s\n\n", time.Now().Format(time.TimeOnly))
		flusher.Flush()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-a.stop:
			return
		}
	}
}

func fileName(p string) string {
	name := path.Base(p)
	if name == "." || name == "/" || name == ".." || strings.HasPrefix(name, ".") {
		return ""
	}
	return name
}

func (a *app) upload(w http.ResponseWriter, r *http.Request) {
	name := fileName(r.PathValue("name"))
	if name == "" {
		writeJSON(w, 400, map[string]string{"error": "bad file name"})
		return
	}
	tmp, err := os.CreateTemp(a.dir, ".upload-*")
	if err != nil {
		writeJSON(w, 500, map[string]string{"error": err.Error()})
		return
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), http.MaxBytesReader(w, r.Body, 1<<30))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(a.dir, name))
	}
	if err != nil {
		writeJSON(w, 500, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, 201, map[string]any{"name": name, "bytes": n, "sha256": hex.EncodeToString(h.Sum(nil))})
}

func (a *app) download(w http.ResponseWriter, r *http.Request) {
	name := fileName(r.PathValue("name"))
	f, err := os.Open(filepath.Join(a.dir, name))
	if name == "" || err != nil {
		writeJSON(w, 404, map[string]string{"error": "no such file"})
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		writeJSON(w, 500, map[string]string{"error": err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, name, info.ModTime(), f)
}
