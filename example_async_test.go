package phttp_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/phttp-go/phttp"
)

// A ticker goroutine broadcasts to every open WebSocket. The set of
// clients belongs to the loop goroutine: the handler adds and removes
// connections, and the ticker reaches the set only through Post, so it
// needs no lock. TrySendWebSocket never waits: a client that stopped
// reading misses updates instead of holding the broadcast.
func Example_postBroadcast() {
	clients := map[phttp.ConnID]bool{} // owned by the loop goroutine
	updates := 0                       // ditto

	srv := &phttp.Server{}
	srv.Handler = func(w *phttp.Response, r *phttp.Request) {
		switch r.Type {
		case phttp.HTTP:
			if r.Path == "/ws" && r.IsWebSocketUpgrade() {
				w.AcceptWebSocket("")
				if w.Status == 101 {
					clients[r.ConnID] = true
				}
				return
			}
			w.Status = 404
		case phttp.WebSocketClose:
			delete(clients, r.ConnID)
		}
	}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run() }()

	stopTicker := make(chan struct{})
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopTicker:
				return
			case <-tick.C:
			}
			err := srv.Post(func() {
				if len(clients) == 0 {
					return
				}
				updates++
				msg := []byte(fmt.Sprintf("update %d", updates))
				for id := range clients {
					srv.TrySendWebSocket(id, phttp.WebSocketText, msg)
				}
			})
			if err != nil { // ErrClosed: the server stopped
				return
			}
		}
	}()

	// A client.
	c, _, _, err := ws.Dial(context.Background(), "ws://"+srv.Addr().String()+"/ws")
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 3 {
		msg, err := wsutil.ReadServerText(c)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(msg))
	}
	c.Close()
	close(stopTicker)
	srv.Stop()
	<-done
	// Output:
	// update 1
	// update 2
	// update 3
}

// Server-sent events need nothing but a detached answer: the handler sets
// the headers and detaches, and a goroutine flushes each event as it
// comes (each Flush goes out as one chunk). Flush waits while the client
// is behind and returns ErrClosed once it has gone.
func Example_serverSentEvents() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path != "/events" {
			w.Status = 404
			return
		}
		w.SetHeader("Content-Type", "text/event-stream")
		w.SetHeader("Cache-Control", "no-cache")
		w.Detach()
		go func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for i := 1; i <= 3; i++ {
				<-tick.C
				fmt.Fprintf(w, "data: event %d\n\n", i)
				if err := w.Flush(); err != nil {
					return // the client went away
				}
			}
			w.WriteString("event: end\ndata: bye\n\n")
			w.Send()
		}()
	}}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run() }()

	// A client.
	resp, err := http.Get("http://" + srv.Addr().String() + "/events")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Header.Get("Content-Type"))
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "data: ") {
			fmt.Println(line)
		}
	}
	resp.Body.Close()
	srv.Stop()
	<-done
	// Output:
	// text/event-stream
	// data: event 1
	// data: event 2
	// data: event 3
	// data: bye
}
