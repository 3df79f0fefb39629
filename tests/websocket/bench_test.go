package websocket_test

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
)

// The benchmarks compare phttp with the usual net/http + gorilla/websocket
// server, both driven by the same gorilla clients over loopback.

// gorillaServer is a net/http server upgrading with gorilla/websocket.
type gorillaServer struct {
	host string
	mu   sync.Mutex
	subs []*gorillaSub
	ch   chan struct{} // one token per new subscriber
}

type gorillaSub struct {
	mu sync.Mutex // writes to one conn are serialised
	c  *websocket.Conn
}

// startGorilla serves echo (or, with broadcast, registration and a
// discarding reader) on 127.0.0.1:0.
func startGorilla(b *testing.B, broadcast bool) *gorillaServer {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	gs := &gorillaServer{host: l.Addr().String(), ch: make(chan struct{}, 4096)}
	up := websocket.Upgrader{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		if broadcast {
			gs.mu.Lock()
			gs.subs = append(gs.subs, &gorillaSub{c: c})
			gs.mu.Unlock()
			gs.ch <- struct{}{}
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}
		for {
			t, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(t, p); err != nil {
				return
			}
		}
	})}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	return gs
}

func dialBench(b *testing.B, host string) *websocket.Conn {
	b.Helper()
	c := dialNoCleanup(b, host)
	b.Cleanup(func() { c.Close() })
	return c
}

func dialNoCleanup(b *testing.B, host string) *websocket.Conn {
	b.Helper()
	d := websocket.Dialer{HandshakeTimeout: wait}
	c, _, err := d.Dial("ws://"+host+"/ws", nil)
	if err != nil {
		b.Fatalf("dial: %v", err)
	}
	return c
}

func benchEcho(b *testing.B, c *websocket.Conn) {
	msg := pattern(64, 0)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
}

// BenchmarkEchoRoundTrip: one gorilla client, 64-byte binary messages,
// one round trip per op.
func BenchmarkEchoRoundTrip(b *testing.B) {
	b.Run("phttp", func(b *testing.B) {
		s := startWS(b, nil)
		benchEcho(b, dialBench(b, s.Host))
	})
	b.Run("nethttp-gorilla", func(b *testing.B) {
		gs := startGorilla(b, false)
		benchEcho(b, dialBench(b, gs.host))
	})
}

// broadcastClients dials n gorilla clients whose readers count messages
// into got and signal done when got reaches *target.
type broadcastClients struct {
	got, target atomic.Int64
	done        chan struct{}
}

func newBroadcastClients(b *testing.B, host string, n int, onDial func(*websocket.Conn)) *broadcastClients {
	bc := &broadcastClients{done: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	var conns []*websocket.Conn
	b.Cleanup(func() { // the readers end once their conns are closed
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	})
	for range n {
		c := dialNoCleanup(b, host)
		conns = append(conns, c)
		if onDial != nil {
			onDial(c)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				if bc.got.Add(1) == bc.target.Load() {
					bc.done <- struct{}{}
				}
			}
		}()
	}
	return bc
}

// run times b.N broadcasts of one message to n clients; send does one.
func (bc *broadcastClients) run(b *testing.B, n int, send func(msg []byte)) {
	msg := pattern(64, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bc.target.Store(int64(i+1) * int64(n))
		send(msg)
		select {
		case <-bc.done:
		case <-time.After(30 * time.Second):
			b.Fatalf("broadcast %d: only %d of %d messages arrived", i, bc.got.Load(), bc.target.Load())
		}
	}
	b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkBroadcast1000: 1,000 connections; per op one 64-byte message
// is sent to all of them from a goroutine other than the server's, and
// every client has received it.
func BenchmarkBroadcast1000(b *testing.B) {
	const n = 1000
	b.Run("phttp", func(b *testing.B) {
		s := startWS(b, nil)
		ids := make([]phttp.ConnID, 0, n)
		bc := newBroadcastClients(b, s.Host, n, func(c *websocket.Conn) { ids = append(ids, gorillaID(b, c)) })
		bc.run(b, n, func(msg []byte) {
			for _, id := range ids {
				if err := s.SendWebSocket(id, phttp.WebSocketBinary, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("nethttp-gorilla", func(b *testing.B) {
		gs := startGorilla(b, true)
		bc := newBroadcastClients(b, gs.host, n, func(*websocket.Conn) {
			select {
			case <-gs.ch:
			case <-time.After(wait):
				b.Fatal("server did not register the connection")
			}
		})
		gs.mu.Lock()
		subs := gs.subs
		gs.mu.Unlock()
		bc.run(b, n, func(msg []byte) {
			for _, s := range subs {
				s.mu.Lock()
				err := s.c.WriteMessage(websocket.BinaryMessage, msg)
				s.mu.Unlock()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
