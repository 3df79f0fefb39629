package main

import (
	"net/http"
	"strconv"

	"github.com/gorilla/websocket"
)

func init() { peers["nethttp"] = runNetHTTP }

// runNetHTTP serves with net/http and gorilla/websocket: the baseline every
// other column is divided by.
func runNetHTTP(addr string) error {
	upgrader := websocket.Upgrader{EnableCompression: *compress} // no Origin check needed: clients send none
	clients := newHub[*websocket.Conn]()

	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		// An explicit length: nbio would otherwise answer chunked.
		w.Header().Set("Content-Length", helloLength)
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			t, p, err := c.ReadMessage()
			if err != nil || c.WriteMessage(t, p) != nil {
				return
			}
		}
	})
	mux.HandleFunc("/bcast", func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		clients.add(c)
		defer func() { clients.remove(c); c.Close() }()
		// Read only to notice the close (and answer pings); the
		// broadcaster is this connection's one writer.
		for {
			if _, _, err := c.NextReader(); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/trigger", func(w http.ResponseWriter, r *http.Request) {
		n := clients.trigger(triggerCount(r.URL.Query().Get("n")), func(c *websocket.Conn, p []byte) error {
			return c.WriteMessage(websocket.TextMessage, p)
		})
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(strconv.Itoa(n)))
	})
	mtrigger := func(w http.ResponseWriter, r *http.Request) {
		n := clients.triggerPrepared(triggerCount(r.URL.Query().Get("n")), triggerMessages(r.URL.Path), func(p []byte) func(*websocket.Conn) error {
			pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, p) // framed (and compressed) once
			return func(c *websocket.Conn) error { return c.WritePreparedMessage(pm) }
		})
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(strconv.Itoa(n)))
	}
	mux.HandleFunc("/mtrigger", mtrigger)
	mux.HandleFunc("/strigger", mtrigger)
	return http.ListenAndServe(addr, mux)
}
