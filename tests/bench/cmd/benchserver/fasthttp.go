package main

import (
	"strconv"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

func init() { peers["fasthttp"] = runFastHTTP }

// runFastHTTP serves with fasthttp and its gorilla fork, fasthttp/websocket
// (which hijacks the connection onto a goroutine of its own).
func runFastHTTP(addr string) error {
	upgrader := websocket.FastHTTPUpgrader{EnableCompression: *compress}
	clients := newHub[*websocket.Conn]()

	handler := func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/plaintext":
			ctx.SetContentType("text/plain")
			ctx.Write(hello)
		case "/ws":
			upgrader.Upgrade(ctx, func(c *websocket.Conn) {
				for {
					t, p, err := c.ReadMessage()
					if err != nil || c.WriteMessage(t, p) != nil {
						return
					}
				}
			})
		case "/bcast":
			upgrader.Upgrade(ctx, func(c *websocket.Conn) {
				clients.add(c)
				defer clients.remove(c)
				for {
					if _, _, err := c.NextReader(); err != nil {
						return
					}
				}
			})
		case "/trigger":
			n := clients.trigger(triggerCount(string(ctx.QueryArgs().Peek("n"))), func(c *websocket.Conn, p []byte) error {
				return c.WriteMessage(websocket.TextMessage, p)
			})
			ctx.SetContentType("text/plain")
			ctx.WriteString(strconv.Itoa(n))
		case "/mtrigger", "/strigger":
			n := clients.triggerPrepared(triggerCount(string(ctx.QueryArgs().Peek("n"))), triggerMessages(string(ctx.Path())), func(p []byte) func(*websocket.Conn) error {
				pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, p)
				return func(c *websocket.Conn) error { return c.WritePreparedMessage(pm) }
			})
			ctx.SetContentType("text/plain")
			ctx.WriteString(strconv.Itoa(n))
		default:
			ctx.SetStatusCode(fasthttp.StatusNotFound)
		}
	}
	srv := &fasthttp.Server{Handler: handler, Name: "fasthttp"}
	return srv.ListenAndServe(addr)
}
