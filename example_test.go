package phttp_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/phttp-go/phttp"
)

// A handler answers on the loop goroutine; the response is sent when it
// returns, with Content-Length and keep-alive handled by the server.
func Example() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		w.SetHeader("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "hello from %s\n", r.Path)
	}}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	go srv.Run()
	defer srv.Stop()

	resp, err := http.Get("http://" + srv.Addr().String() + "/gateway")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.Status, " ", string(body))
	// Output: 200 OK hello from /gateway
}

// A WebSocket echo: the handler accepts the upgrade, then sees every
// message whole and answers on the same connection without waiting.
func Example_webSocketEcho() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		switch r.Type {
		case phttp.HTTP:
			if r.Path == "/ws" {
				w.AcceptWebSocket("")
				return
			}
			w.Status = 404
		case phttp.WebSocketText, phttp.WebSocketBinary:
			w.SendWebSocket(r.Type, r.Body)
		case phttp.WebSocketClose:
			log.Printf("connection %d closed: %d %s", r.ConnID, r.CloseCode, r.CloseReason)
		}
	}}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	go srv.Run()
	defer srv.Stop()

	c, _, _, err := ws.Dial(context.Background(), "ws://"+srv.Addr().String()+"/ws")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	wsutil.WriteClientText(c, []byte("hello"))
	msg, err := wsutil.ReadServerText(c)
	fmt.Println(string(msg), err)
	// Output: hello <nil>
}

// Shutdown lets requests in flight finish; Stop closes everything at once.
func ExampleServer_Shutdown() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) { w.WriteString("ok") }}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- srv.Run() }()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(srv.Shutdown(ctx), <-done)
	// Output: <nil> <nil>
}

// Step lets a program that owns its main loop drive the server.
func ExampleServer_Step() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) { w.WriteString("ok") }}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	for turn := 1; ; turn++ {
		if err := srv.Step(10 * time.Millisecond); err != nil {
			fmt.Println(err)
			return
		}
		// ... the program's own work between turns; here, quit after three ...
		if turn == 3 {
			srv.Stop()
		}
	}
	// Output: phttp: server stopped
}
