package main

import (
	"net/http"
	"strconv"

	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

func init() { peers["nbio"] = runNbio }

// runNbio serves with nbio's nbhttp engine (epoll, handlers on its goroutine
// pool) and its own websocket, with nbio's defaults except the connection
// cap, which must let the 10,000-idle-connection test in.
func runNbio(addr string) error {
	clients := newHub[*websocket.Conn]()

	echo := websocket.NewUpgrader()
	echo.OnMessage(func(c *websocket.Conn, t websocket.MessageType, p []byte) {
		c.WriteMessage(t, p)
	})
	echo.EnableCompression(*compress)
	bcast := websocket.NewUpgrader()
	bcast.EnableCompression(*compress)
	bcast.OnClose(func(c *websocket.Conn, err error) { clients.remove(c) })

	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		// An explicit length: nbio would otherwise answer chunked.
		w.Header().Set("Content-Length", helloLength)
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		echo.Upgrade(w, r, nil)
	})
	mux.HandleFunc("/bcast", func(w http.ResponseWriter, r *http.Request) {
		if c, err := bcast.Upgrade(w, r, nil); err == nil {
			clients.add(c)
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
		// nbio has no prepared message: each connection frames its own.
		n := clients.triggerPrepared(triggerCount(r.URL.Query().Get("n")), triggerMessages(r.URL.Path), func(p []byte) func(*websocket.Conn) error {
			return func(c *websocket.Conn) error { return c.WriteMessage(websocket.TextMessage, p) }
		})
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(strconv.Itoa(n)))
	}
	mux.HandleFunc("/mtrigger", mtrigger)
	mux.HandleFunc("/strigger", mtrigger)

	engine := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{addr},
		Handler: mux,
		MaxLoad: 20000,
	})
	if err := engine.Start(); err != nil {
		return err
	}
	select {} // the engine serves on its own goroutines until the process ends
}
