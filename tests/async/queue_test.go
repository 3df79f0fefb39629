package async

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// wsServer is a server whose handler accepts every WebSocket upgrade and
// reports each new connection's ID on opened (buffered: the handler never
// waits) and each WebSocketClose on closed.
type wsServer struct {
	*testserver.Running
	opened chan phttp.ConnID
	closed chan wsClosed
}

type wsClosed struct {
	id       phttp.ConnID
	code     phttp.CloseCode
	at       time.Time
	capacity int // SendCapacity(id) seen from the handler at that moment
}

// startWSServer starts srv with that handler; plain, if not nil, answers
// the requests that are not upgrades (else 404).
func startWSServer(t *testing.T, srv *phttp.Server, max int, plain phttp.Handler) *wsServer {
	t.Helper()
	ws := &wsServer{opened: make(chan phttp.ConnID, max), closed: make(chan wsClosed, max)}
	srv.Handler = func(w *phttp.Response, r *phttp.Request) {
		switch r.Type {
		case phttp.HTTP:
			if !r.IsWebSocketUpgrade() {
				if plain != nil {
					plain(w, r)
				} else {
					w.Status = 404
				}
				return
			}
			w.AcceptWebSocket("")
			if w.Status == 101 {
				select {
				case ws.opened <- r.ConnID:
				default:
					t.Errorf("more than %d WebSocket connections", max)
				}
			}
		case phttp.WebSocketClose:
			select {
			case ws.closed <- wsClosed{r.ConnID, r.CloseCode, time.Now(), r.Server.SendCapacity(r.ConnID)}:
			default:
			}
		}
	}
	ws.Running = testserver.Start(t, srv)
	return ws
}

// dialWS opens a gorilla/websocket connection; rcvbuf > 0 shrinks its
// receive window (see dialSmallWindow). It returns the connection and the
// server's ID for it.
func (ws *wsServer) dialWS(t *testing.T, rcvbuf int) (*websocket.Conn, phttp.ConnID) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4 * kib, WriteBufferSize: 4 * kib}
	if rcvbuf > 0 {
		d.NetDial = func(network, addr string) (net.Conn, error) { return dialSmallWindow(network, addr, rcvbuf, 536) }
	}
	c, resp, err := d.Dial("ws://"+ws.Host+"/ws", nil)
	if err != nil {
		t.Fatalf("WebSocket dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { c.Close() })
	id := recvTimeout(t, ws.opened, 5*time.Second, "the server to see the upgrade")
	return c, id
}

// TestSendCapacity: a fresh connection has SendQueueBytes of credit; a
// frame queued and not yet written takes its size off; the credit comes
// back once the client reads; a connection that is gone reports -1, from
// the handler's WebSocketClose on.
func TestSendCapacity(t *testing.T) {
	const queue = 64 * kib
	ws := startWSServer(t, &phttp.Server{SendQueueBytes: queue}, 4, nil)
	srv := ws.Server
	c, id := ws.dialWS(t, 0)
	if got := srv.SendCapacity(id); got != queue {
		t.Errorf("fresh connection: SendCapacity %d, want %d", got, queue)
	}
	if got := srv.SendCapacity(id + 1000); got != -1 {
		t.Errorf("unknown connection: SendCapacity %d, want -1", got)
	}
	// On the loop, the frame stays queued until the posted function
	// returns: its whole size (1000 + a 4-byte header) is taken.
	var before, after int
	var sendErr error
	postWait(t, srv, func() {
		before = srv.SendCapacity(id)
		sendErr = srv.TrySendWebSocket(id, phttp.WebSocketBinary, make([]byte, 1000))
		after = srv.SendCapacity(id)
	})
	if sendErr != nil || before != queue || after != queue-1004 {
		t.Errorf("around a queued 1000-byte frame: SendCapacity %d then %d (TrySend: %v); want %d then %d", before, after, sendErr, queue, queue-1004)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, p, err := c.ReadMessage(); err != nil || len(p) != 1000 {
		t.Fatalf("client read: %d bytes, %v", len(p), err)
	}
	if !waitUntil(5*time.Second, func() bool { return srv.SendCapacity(id) == queue }) {
		t.Errorf("credit not given back once written: SendCapacity %d, want %d", srv.SendCapacity(id), queue)
	}

	// A client that does not read: the queue fills, TrySend says so.
	_, sid := ws.dialWS(t, 4*kib)
	full := false
	for i := 0; i < 10000 && !full; i++ {
		switch err := srv.TrySendWebSocket(sid, phttp.WebSocketBinary, make([]byte, 4*kib)); {
		case errors.Is(err, phttp.ErrQueueFull):
			full = true
		case err != nil:
			t.Fatalf("TrySendWebSocket: %v", err)
		}
	}
	if got := srv.SendCapacity(sid); !full || got >= 4*kib+4 || got < 0 {
		t.Errorf("stalled client: queue full %v, SendCapacity %d; want full with less than one frame free", full, got)
	}

	// Gone: -1, already when the handler hears of the close.
	c.Close()
	cl := recvTimeout(t, ws.closed, 5*time.Second, "the WebSocketClose")
	if cl.id != id || cl.capacity != -1 {
		t.Errorf("in the handler's WebSocketClose for %d: SendCapacity(%d) = %d, want -1", cl.id, id, cl.capacity)
	}
	if got := srv.SendCapacity(id); got != -1 {
		t.Errorf("closed connection: SendCapacity %d, want -1", got)
	}
}

// TestPostOrderAndStop: posted functions run on the loop in the order they
// were posted (per posting goroutine), and Post returns ErrClosed after
// Stop.
func TestPostOrderAndStop(t *testing.T) {
	// Run on a goroutine of this test's own, to see when it returns.
	s := &phttp.Server{}
	if err := s.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run() }()
	defer s.Stop()
	const posters, each = 8, 500
	var order [posters][]int // written only on the loop
	var wg sync.WaitGroup
	for p := range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := s.Post(func() { order[p] = append(order[p], i) }); err != nil {
					t.Errorf("Post: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// One goroutine: a strict sequence, interleaved with nothing else.
	var single []int
	for i := range each {
		s.Post(func() { single = append(single, i) })
	}
	postWait(t, s, func() {})
	for p := range posters {
		if len(order[p]) != each {
			t.Fatalf("poster %d: %d functions ran, want %d", p, len(order[p]), each)
		}
		for i, v := range order[p] {
			if v != i {
				t.Fatalf("poster %d: function %d ran in place %d", p, v, i)
			}
		}
	}
	for i, v := range single {
		if v != i {
			t.Fatalf("single poster: function %d ran in place %d", v, i)
		}
	}

	s.Stop()
	if err := s.Post(func() { t.Error("a function posted after Stop ran") }); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("Post after Stop: %v, want ErrClosed", err)
	}
	if err := recvTimeout(t, runDone, 5*time.Second, "Run to return after Stop"); err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := s.Post(func() { t.Error("a function posted after Run returned ran") }); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("Post after Run returned: %v, want ErrClosed", err)
	}
}

// TestStopReleasesBlockedSenders: a SendWebSocket and a detached Flush,
// each blocked on the full queue of a client that does not read, return
// ErrClosed promptly when the server is stopped.
func TestStopReleasesBlockedSenders(t *testing.T) {
	const queue = 64 * kib
	httpID := make(chan phttp.ConnID, 1)
	type senderState struct {
		inCall atomic.Bool
		calls  atomic.Int64
		done   chan error
	}
	flusher := &senderState{done: make(chan error, 1)}
	ws := startWSServer(t, &phttp.Server{SendQueueBytes: queue}, 1, func(w *phttp.Response, r *phttp.Request) {
		httpID <- r.ConnID
		w.Detach()
		go func() {
			flusher.done <- func() error {
				piece := make([]byte, 16*kib)
				for range 100000 {
					w.Write(piece)
					flusher.inCall.Store(true)
					err := w.Flush()
					flusher.inCall.Store(false)
					flusher.calls.Add(1)
					if err != nil {
						return err
					}
				}
				return errors.New("100000 flushes to a client that does not read all went through")
			}()
		}()
	})
	srv := ws.Server

	// An HTTP client that reads nothing of the endless answer.
	hc, err := dialSmallBuffer("tcp", ws.Host, 4*kib)
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	io.WriteString(hc, getRequest("/endless"))
	hid := recvTimeout(t, httpID, 5*time.Second, "the download request")

	// A WebSocket client that reads nothing, and a goroutine pushing to it.
	_, wid := ws.dialWS(t, 4*kib)
	sender := &senderState{done: make(chan error, 1)}
	go func() {
		sender.done <- func() error {
			msg := make([]byte, 16*kib)
			for range 100000 {
				sender.inCall.Store(true)
				err := srv.SendWebSocket(wid, phttp.WebSocketBinary, msg)
				sender.inCall.Store(false)
				sender.calls.Add(1)
				if err != nil {
					return err
				}
			}
			return errors.New("100000 sends to a client that does not read all went through")
		}()
	}()

	// Both queues full and both senders inside a call: they wait.
	blocked := func(id phttp.ConnID, st *senderState) func() bool {
		return func() bool { return srv.SendCapacity(id) < 16*kib+16 && st.inCall.Load() }
	}
	if !waitUntil(10*time.Second, blocked(hid, flusher)) || !waitUntil(10*time.Second, blocked(wid, sender)) {
		t.Fatalf("senders never blocked: capacities %d, %d", srv.SendCapacity(hid), srv.SendCapacity(wid))
	}
	t.Logf("blocked after %d flushes and %d WebSocket sends", flusher.calls.Load(), sender.calls.Load())
	stopped := time.Now()
	srv.Stop()
	for name, st := range map[string]*senderState{"Flush": flusher, "SendWebSocket": sender} {
		err := recvTimeout(t, st.done, 5*time.Second, "the blocked "+name+" to return after Stop")
		if took := time.Since(stopped); !errors.Is(err, phttp.ErrClosed) || took > time.Second {
			t.Errorf("blocked %s returned %v %v after Stop; want ErrClosed within 1s", name, err, took)
		}
	}
}

// TestManySendersOneConnection: 8 goroutines push messages of 1 B to
// 20 KiB to one WebSocket through a 32 KiB queue, waiting for credit. The
// client must get every message whole (frames never interleave) and each
// sender's messages in the order sent.
func TestManySendersOneConnection(t *testing.T) {
	const senders, each = 8, 300
	ws := startWSServer(t, &phttp.Server{SendQueueBytes: 32 * kib}, 1, nil)
	c, id := ws.dialWS(t, 0)
	errs := make(chan error, senders)
	for s := range senders {
		go func() {
			for i := range each {
				n := 1 + (s*7919+i*104729)%(20*kib)
				msg := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(s)), uint32(i))
				msg = appendPattern(msg, int64(i), s, n)
				if err := ws.Server.SendWebSocket(id, phttp.WebSocketBinary, msg); err != nil {
					errs <- fmt.Errorf("sender %d, message %d: %w", s, i, err)
					return
				}
				clear(msg) // the server copied it: reusing the slice is allowed
			}
			errs <- nil
		}()
	}
	next := make([]int, senders)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for k := range senders * each {
		_, p, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", k, err)
		}
		if len(p) < 8 {
			t.Fatalf("message %d: %d bytes", k, len(p))
		}
		s, i := int(binary.BigEndian.Uint32(p)), int(binary.BigEndian.Uint32(p[4:]))
		if s >= senders || i != next[s] {
			t.Fatalf("message %d: sender %d's message %d, want its message %d", k, s, i, next[min(s, senders-1)])
		}
		if n := 1 + (s*7919+i*104729)%(20*kib); len(p) != 8+n || checkPattern(p[8:], int64(i), s) >= 0 {
			t.Fatalf("sender %d's message %d: %d bytes or content differ (want %d)", s, i, len(p)-8, n)
		}
		next[s]++
	}
	for range senders {
		if err := recvTimeout(t, errs, 10*time.Second, "the senders"); err != nil {
			t.Error(err)
		}
	}
}

// TestMessageLargerThanQueue: a message bigger than SendQueueBytes still
// goes through, alone: it takes the whole credit, and waits for an empty
// queue.
func TestMessageLargerThanQueue(t *testing.T) {
	const queue, big = 16 * kib, 1 * mib
	ws := startWSServer(t, &phttp.Server{SendQueueBytes: queue}, 1, nil)
	c, id := ws.dialWS(t, 0)
	msg := appendPattern(nil, 0, 9, big)
	done := make(chan error, 1)
	go func() {
		for range 3 {
			if err := ws.Server.SendWebSocket(id, phttp.WebSocketBinary, msg); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for i := range 3 {
		_, p, err := c.ReadMessage()
		if err != nil || len(p) != big || checkPattern(p, 0, 9) >= 0 {
			t.Fatalf("message %d: %d bytes, %v", i, len(p), err)
		}
	}
	if err := recvTimeout(t, done, 10*time.Second, "the sender"); err != nil {
		t.Fatal(err)
	}
	var err error
	postWait(t, ws.Server, func() { err = ws.Server.TrySendWebSocket(id, phttp.WebSocketBinary, msg) })
	if err != nil {
		t.Errorf("TrySendWebSocket of %d bytes to an empty %d-byte queue: %v", big, queue, err)
	}
}
