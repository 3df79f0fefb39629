//go:build !nophttp

package main

import (
	"flag"
	"strconv"

	"github.com/phttp-go/phttp"
)

func init() { peers["phttp"] = runPhttp }

var phttpBcast = flag.String("phttp-bcast", "send",
	"how phttp's broadcaster sends: 'send' = SendWebSocket from its goroutine, "+
		"'post' = one Post per message that TrySendWebSocket's to every connection on the loop")

var phttpQueue = flag.Int("phttp-queue", 0, "phttp's SendQueueBytes (0: the default, 4 MiB)")

// phttpApp is the state the handler owns. It lives on the loop goroutine,
// so it needs no lock; the broadcaster gets its copy of the connection list
// from the /trigger handler, which runs there too.
type phttpApp struct {
	srv     *phttp.Server
	clients map[phttp.ConnID]struct{}
}

// runPhttp serves with our server. MaxConnections is raised above the
// default 4096 so that the 10,000-idle-connection test fits.
func runPhttp(addr string) error {
	app := &phttpApp{clients: make(map[phttp.ConnID]struct{})}
	app.srv = &phttp.Server{Handler: app.handle, MaxConnections: 20000, WebSocketCompression: *compress, SendQueueBytes: *phttpQueue}
	return app.srv.ListenAndRun(addr)
}

func (a *phttpApp) handle(w *phttp.Response, r *phttp.Request) {
	switch r.Type {
	case phttp.HTTP:
		a.handleHTTP(w, r)
	case phttp.WebSocketText, phttp.WebSocketBinary:
		if r.Path == "/ws" {
			w.SendWebSocket(r.Type, r.Body)
		}
	case phttp.WebSocketClose:
		delete(a.clients, r.ConnID)
	}
}

func (a *phttpApp) handleHTTP(w *phttp.Response, r *phttp.Request) {
	switch r.Path {
	case "/plaintext":
		w.SetHeader("Content-Type", "text/plain")
		w.Write(hello)
	case "/ws":
		w.AcceptWebSocket("")
	case "/bcast":
		w.AcceptWebSocket("")
		if w.Status == 101 {
			a.clients[r.ConnID] = struct{}{}
		}
	case "/mtrigger", "/strigger":
		n := triggerCount(r.Query().Get("n"))
		ids := a.bcastIDs()
		if n > 0 && len(ids) > 0 {
			go a.broadcastMessages(ids, n, triggerMessages(r.Path))
		}
		w.SetHeader("Content-Type", "text/plain")
		w.WriteString(strconv.Itoa(len(ids)))
	case "/trigger":
		n := triggerCount(r.Query().Get("n"))
		ids := make([]phttp.ConnID, 0, len(a.clients))
		for id := range a.clients {
			ids = append(ids, id)
		}
		if n > 0 && len(ids) > 0 {
			if *phttpBcast == "post" {
				go a.broadcastPost(ids, n)
			} else {
				go a.broadcastSend(ids, n)
			}
		}
		w.SetHeader("Content-Type", "text/plain")
		w.WriteString(strconv.Itoa(len(ids)))
	default:
		w.Status = 404
	}
}

// broadcastSend is the plain way: SendWebSocket from the broadcaster's own
// goroutine, which waits only if a connection's queue is full.
func (a *phttpApp) broadcastSend(ids []phttp.ConnID, n int) {
	dead := make([]bool, len(ids))
	for range n {
		for i, id := range ids {
			if !dead[i] && a.srv.SendWebSocket(id, phttp.WebSocketText, bcastMessage) != nil {
				dead[i] = true
			}
		}
	}
}

// broadcastPost is DESIGN.md's pattern: each message is one posted function
// that runs on the loop and never waits (a full queue drops the message
// for that connection, which the client would then notice as missing).
func (a *phttpApp) broadcastPost(ids []phttp.ConnID, n int) {
	for range n {
		err := a.srv.Post(func() {
			for _, id := range ids {
				a.srv.TrySendWebSocket(id, phttp.WebSocketText, bcastMessage)
			}
		})
		if err != nil {
			return
		}
	}
}

// bcastIDs copies the registered connections for a broadcaster goroutine.
func (a *phttpApp) bcastIDs() []phttp.ConnID {
	ids := make([]phttp.ConnID, 0, len(a.clients))
	for id := range a.clients {
		ids = append(ids, id)
	}
	return ids
}

// broadcastMessages is the one-copy way: each message is framed once
// (and compressed once, for compressed connections) with NewMessage, and
// every queue references it; SendMessage waits when a queue is full.
func (a *phttpApp) broadcastMessages(ids []phttp.ConnID, n int, msg func(int) []byte) {
	dead := make([]bool, len(ids))
	for i := range n {
		m, _ := phttp.NewMessage(phttp.WebSocketText, msg(i))
		for j, id := range ids {
			if !dead[j] && a.srv.SendMessage(id, m) != nil {
				dead[j] = true
			}
		}
	}
}
