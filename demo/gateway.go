package main

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/stdhttp"
)

//go:embed static
var static embed.FS

// page is the demo's page, served by net/http's file server through the
// bridge, beside the native handlers: it answers conditional and range
// requests as net/http does.
var page = func() phttp.Handler {
	files, _ := fs.Sub(static, "static") // fails only for an invalid name, which "static" is not
	return stdhttp.Handler(http.FileServerFS(files))
}()

// gateway is the demo's state. clients is owned by the loop goroutine: the
// handler and posted functions touch it, nothing else, so it needs no lock.
type gateway struct {
	srv      *phttp.Server
	clients  map[phttp.ConnID]bool
	interval time.Duration
	stop     chan struct{}
	stopOnce sync.Once
}

func newGateway(interval time.Duration) *gateway {
	g := &gateway{clients: make(map[phttp.ConnID]bool), interval: interval, stop: make(chan struct{})}
	// Compression: the page's messages are text that deflates well, and
	// Chromium offers permessage-deflate. Pings close tabs that vanished
	// without a close frame (a laptop lid shut).
	g.srv = &phttp.Server{Handler: g.handle, WebSocketCompression: true, PingInterval: 30 * time.Second}
	return g
}

func (g *gateway) handle(w *phttp.Response, r *phttp.Request) {
	switch r.Type {
	case phttp.WebSocketText, phttp.WebSocketBinary:
		if string(r.Body) == "broadcast" {
			go g.burst(500)
			return
		}
		w.SendWebSocket(phttp.WebSocketText, append([]byte("echo: "), r.Body...))
		return
	case phttp.WebSocketClose:
		delete(g.clients, r.ConnID)
		return
	}
	switch r.Path {
	case "/":
		page(w, r)
	case "/ws":
		w.AcceptWebSocket("")
		if w.Status == 101 {
			g.clients[r.ConnID] = true
		}
	case "/events":
		serveEvents(w, g.interval, g.stop)
	case "/heavy":
		serveHeavy(w)
	default:
		w.Status = 404
		w.WriteString("not found\n")
	}
}

// tickLoop pushes "tick N" to every open WebSocket. The list is read on the
// loop goroutine (Post), and the frames go out with TrySendWebSocket, so a
// client that stopped reading loses ticks instead of holding the others.
func (g *gateway) tickLoop() {
	t := time.NewTicker(g.interval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-g.stop:
			return
		case <-t.C:
		}
		// The page draws the server's counters; they ride with the ticks.
		if g.broadcast("tick "+strconv.Itoa(n)) != nil || g.broadcast("stats "+g.srv.Stats().String()) != nil {
			return
		}
	}
}

// broadcast sends msg to every open WebSocket, from any goroutine: the
// set of clients is read on the loop (Post). The message is framed (and
// compressed) once, whatever the number of clients.
func (g *gateway) broadcast(msg string) error {
	m, err := phttp.NewMessage(phttp.WebSocketText, []byte(msg))
	if err != nil {
		return err
	}
	return g.srv.Post(func() {
		for id := range g.clients {
			g.srv.TrySendMessage(id, m)
		}
	})
}

// burst is the page's "broadcast" button: n messages to every client, as
// fast as the loop takes them, so the charts have something to show.
func (g *gateway) burst(n int) {
	for i := range n {
		if g.broadcast("burst "+strconv.Itoa(i)) != nil {
			return
		}
	}
}

func (g *gateway) stopTicks() { g.stopOnce.Do(func() { close(g.stop) }) }

// serveEvents streams Server-Sent Events from a goroutine with nothing but
// Detach and Flush: the time, every tick interval. Over HTTP/2 (https)
// each stream is one of the connection's streams, so a page may hold more
// than the six a browser allows per host over HTTP/1.1.
func serveEvents(w *phttp.Response, every time.Duration, stop <-chan struct{}) {
	w.SetHeader("Content-Type", "text/event-stream")
	w.SetHeader("Cache-Control", "no-cache")
	w.Detach()
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for n := time.Hour / every; n > 0; n-- { // an hour at most
			fmt.Fprintf(w, "data: %s\n\n", time.Now().Format(time.TimeOnly))
			if w.Flush() != nil {
				return // the client went away
			}
			select {
			case <-stop:
				w.Send()
				return
			case <-t.C:
			}
		}
		w.Send()
	}()
}

// serveHeavy streams 32 MiB from a goroutine. Flush waits while the
// connection's queue is full, so memory stays at SendQueueBytes however
// slowly the client reads.
func serveHeavy(w *phttp.Response) {
	const size, piece = 32 << 20, 64 << 10
	w.SetHeader("Content-Type", "application/octet-stream")
	w.SetHeader("Content-Length", strconv.Itoa(size))
	w.Detach()
	go func() {
		chunk := make([]byte, piece)
		for i := range chunk {
			chunk[i] = byte('a' + i%26)
		}
		for sent := 0; sent < size; sent += piece {
			w.Write(chunk)
			if w.Flush() != nil {
				return
			}
		}
		w.Send()
	}()
}
