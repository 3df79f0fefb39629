package async

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestWriteTimeoutFreesBroadcaster is the headline test of the bounded
// queue. 300 WebSocket clients; 20 of them stop reading after a few
// messages (until the server closes them, at most 10 s) while one
// goroutine broadcasts 200 messages of 1 KiB to all 300 with the waiting
// SendWebSocket. SendQueueBytes is 64 KiB and the stalled clients' windows
// are small, so their queues fill and the broadcaster waits on them;
// WriteTimeout (1 s) must close each of the 20 about WriteTimeout after it
// stalls, release the broadcaster with ErrClosed, and so keep every
// SendWebSocket call under about 2 s, while the 280 others receive every
// message, in order. Timing bounds add the worst lag of the server's loop
// as measured by Post (see lagProbe): the clients share the process.
func TestWriteTimeoutFreesBroadcaster(t *testing.T) {
	if runtime.GOOS == "windows" {
		// The stall needs a stalled client's kernel buffers to be small:
		// the test lowers its segment size with TCP_MAXSEG, which Windows
		// lacks, so 200 KiB per client vanish into socket buffers there.
		t.Skip("needs TCP_MAXSEG to make a stalled client fill its queue; Windows has none")
	}
	const (
		clients      = 300
		stallEvery   = 15 // clients i%15 == 7 stall: 20 of 300
		messages     = 200
		msgSize      = 1 * kib
		readFirst    = 5 // messages a stalled client reads before it stalls
		writeTimeout = 1 * time.Second
		maxStall     = 10 * time.Second
		closeSlack   = 1 * time.Second // "about a second" past WriteTimeout
		maxSendWait  = 2 * time.Second
	)
	ws := startWSServer(t, &phttp.Server{WriteTimeout: writeTimeout, SendQueueBytes: 64 * kib}, clients, nil)
	srv := ws.Server

	// Closes the server reports, by connection.
	var closeMu sync.Mutex
	closes := map[phttp.ConnID]wsClosed{}
	closedCh := map[phttp.ConnID]chan struct{}{}
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go func() {
		for {
			select {
			case <-stopWatch:
				return
			case c := <-ws.closed:
				closeMu.Lock()
				closes[c.id] = c
				if ch := closedCh[c.id]; ch != nil {
					close(ch)
				}
				closeMu.Unlock()
			}
		}
	}()

	type client struct {
		conn       *websocket.Conn
		id         phttp.ConnID
		stalls     bool
		stallStart time.Time
		got        int   // messages received, all in order
		err        error // how reading ended (for the stalled: expected)
		bad        error // a message out of order or malformed
	}
	cs := make([]*client, clients)
	t0 := time.Now()
	for i := range cs {
		stalls := i%stallEvery == 7
		rcvbuf := 0
		if stalls {
			rcvbuf = 1 * kib // with the small MSS, ~30 KiB of kernel buffers in all
		}
		conn, id := ws.dialWS(t, rcvbuf)
		cs[i] = &client{conn: conn, id: id, stalls: stalls}
		closeMu.Lock()
		closedCh[id] = make(chan struct{})
		closeMu.Unlock()
	}
	t.Logf("%d WebSocket clients connected in %v", clients, time.Since(t0).Round(time.Millisecond))

	// Readers.
	var readers sync.WaitGroup
	for _, c := range cs {
		readers.Add(1)
		go func() {
			defer readers.Done()
			buf := make([]byte, msgSize)
			c.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
			for c.got < messages {
				if c.stalls && c.got == readFirst && c.stallStart.IsZero() {
					c.stallStart = time.Now()
					closeMu.Lock()
					ch := closedCh[c.id]
					closeMu.Unlock()
					select { // stop reading until the server gives up on us
					case <-ch:
					case <-time.After(maxStall):
					}
				}
				typ, r, err := c.conn.NextReader()
				if err != nil {
					c.err = err
					return
				}
				if n, err := io.ReadFull(r, buf); err != nil {
					c.err = fmt.Errorf("message %d: %d bytes, then %w", c.got, n, err) // cut short
					return
				}
				if k, err := r.Read(buf[:1]); k > 0 || err != io.EOF {
					c.bad = fmt.Errorf("message %d: longer than %d bytes (%v)", c.got, msgSize, err)
					return
				}
				if typ != websocket.BinaryMessage || binary.BigEndian.Uint64(buf) != uint64(c.got) {
					c.bad = fmt.Errorf("message %d: type %d, seq %d", c.got, typ, binary.BigEndian.Uint64(buf))
					return
				}
				c.got++
			}
		}()
	}

	// The server-side stall: a stalled client's queue fills once its
	// kernel buffers are full, and from then on nothing can drain it. A
	// monitor records, for each stalled client, when its queue last went
	// from having room for a message to having none.
	fullSince := map[phttp.ConnID]time.Time{}
	monitorDone := make(chan struct{})
	stopMonitor := make(chan struct{})
	go func() {
		defer close(monitorDone)
		wasFull := map[phttp.ConnID]bool{}
		for {
			for _, c := range cs {
				if !c.stalls {
					continue
				}
				room := srv.SendCapacity(c.id)
				full := room >= 0 && room < msgSize+4
				if full && !wasFull[c.id] {
					fullSince[c.id] = time.Now()
				}
				wasFull[c.id] = full
			}
			select {
			case <-stopMonitor:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()

	lag := startLagProbe(srv)

	// The broadcaster.
	var maxWait, sumWait time.Duration
	var sends int
	dead := map[phttp.ConnID]time.Time{} // ErrClosed seen, when
	var broadcastErr error
	msg := make([]byte, msgSize)
	// Should a send never return (a stalled client never closed), Stop
	// releases it after 30 s and the test fails instead of hanging.
	var hung atomic.Bool
	watchdog := time.AfterFunc(30*time.Second, func() { hung.Store(true); srv.Stop() })
	bStart := time.Now()
broadcast:
	for m := range messages {
		binary.BigEndian.PutUint64(msg, uint64(m))
		for _, c := range cs {
			if _, ok := dead[c.id]; ok {
				continue
			}
			s := time.Now()
			err := srv.SendWebSocket(c.id, phttp.WebSocketBinary, msg)
			d := time.Since(s)
			sends++
			sumWait += d
			maxWait = max(maxWait, d)
			switch {
			case errors.Is(err, phttp.ErrClosed):
				dead[c.id] = time.Now()
			case err != nil:
				broadcastErr = fmt.Errorf("message %d to %d: %w", m, c.id, err)
				break broadcast
			}
		}
	}
	bTook := time.Since(bStart)
	watchdog.Stop()
	loopLag := lag.finish()
	close(stopMonitor)
	<-monitorDone
	if hung.Load() {
		t.Fatalf("the broadcast did not finish within 30s (%d sends, %d ErrClosed); the server was stopped", sends, len(dead))
	}
	if broadcastErr != nil {
		t.Fatal(broadcastErr)
	}

	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	recvTimeout(t, done, maxStall+20*time.Second, "the readers")

	// The report.
	var healthyOK, stalledClosed int
	var afterStall, afterFull []time.Duration
	var closedBeforeFull int
	for i, c := range cs {
		closeMu.Lock()
		cl, closed := closes[c.id]
		closeMu.Unlock()
		_, gotErrClosed := dead[c.id]
		if c.bad != nil {
			t.Errorf("client %d (stalls: %v): %v", i, c.stalls, c.bad)
			continue
		}
		if !c.stalls {
			switch {
			case c.err != nil || c.got != messages:
				t.Errorf("client %d (healthy): %d of %d messages, then %v", i, c.got, messages, c.err)
			case closed:
				t.Errorf("client %d (healthy): closed by the server (code %d)", i, cl.code)
			case gotErrClosed:
				t.Errorf("client %d (healthy): the broadcaster got ErrClosed", i)
			default:
				healthyOK++
			}
			continue
		}
		if !closed {
			t.Errorf("client %d (stalled from %v): not closed by the server; read %d messages, then %v",
				i, c.stallStart.Sub(bStart).Round(time.Millisecond), c.got, c.err)
			continue
		}
		stalledClosed++
		// The client stalls when it stops reading; the server sees the
		// stall once the kernel buffers and then its queue are full. The
		// close must come no sooner than WriteTimeout after the first, and
		// within about a second past WriteTimeout after the second. (A
		// queue may also time out before it is full, while the broadcaster
		// waits on another: that is not late.)
		d := cl.at.Sub(c.stallStart)
		afterStall = append(afterStall, d)
		if d < writeTimeout-100*time.Millisecond {
			t.Errorf("client %d (stalled): closed %v after it stopped reading, before WriteTimeout %v", i, d.Round(time.Millisecond), writeTimeout)
		}
		full, ok := fullSince[c.id]
		if !ok {
			closedBeforeFull++ // the timer ran out while the queue still had room: not late
			continue
		}
		df := cl.at.Sub(full)
		afterFull = append(afterFull, df)
		if df > writeTimeout+closeSlack+loopLag {
			t.Errorf("client %d (stalled): closed %v after its queue filled (%v after it stopped reading), want within WriteTimeout %v + %v (+ the loop's worst lag %v)",
				i, df.Round(time.Millisecond), d.Round(time.Millisecond), writeTimeout, closeSlack, loopLag.Round(time.Millisecond))
		}
		if cl.code != phttp.ClosePolicyViolation && cl.code != phttp.CloseAbnormal {
			t.Errorf("client %d (stalled): close code %d, want 1008 or 1006", i, cl.code)
		}
		if c.got >= messages || c.err == nil {
			t.Errorf("client %d (stalled): read %d messages and %v, want fewer than %d and then the close", i, c.got, c.err, messages)
		}
	}
	t.Logf("stalled clients closed %s after they stopped reading; %s after their queue was full (%d closed before it was); WriteTimeout %v",
		spread(afterStall), spread(afterFull), closedBeforeFull, writeTimeout)
	t.Logf("broadcast of %d × %d B to %d clients: %v, %d sends, longest SendWebSocket %v, mean %v; %d healthy clients complete, %d stalled closed, %d ErrClosed",
		messages, msgSize, clients, bTook.Round(time.Millisecond), sends, maxWait.Round(time.Millisecond),
		(sumWait / time.Duration(max(sends, 1))).Round(time.Microsecond), healthyOK, stalledClosed, len(dead))
	t.Logf("worst loop lag (Post to run) during the broadcast: %v", loopLag.Round(time.Millisecond))
	if maxWait > maxSendWait+loopLag {
		t.Errorf("a SendWebSocket call waited %v, want at most %v (+ the loop's worst lag %v; WriteTimeout %v)", maxWait, maxSendWait, loopLag.Round(time.Millisecond), writeTimeout)
	}
	if want := clients / stallEvery; stalledClosed != want || healthyOK != clients-want {
		t.Errorf("%d healthy clients complete and %d stalled closed, want %d and %d", healthyOK, stalledClosed, clients-want, want)
	}
	if n := srv.Connections(); n != clients-clients/stallEvery {
		t.Errorf("%d connections open after the broadcast, want %d", n, clients-clients/stallEvery)
	}
}

// spread formats the least, median and greatest of ds.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("%v .. %v (median %v)", r(ds[0]), r(ds[len(ds)-1]), r(ds[len(ds)/2]))
}

// TestWriteTimeoutSparesLateLoop: WriteTimeout is about a peer that takes
// nothing, not about the server's own loop being late. A client reads a
// large message as fast as its small window allows while a handler on
// another connection computes for longer than WriteTimeout (a slow
// handler, a GC pause or a busy machine have the same effect). When the
// loop comes back, the client has taken everything offered and waits for
// more: it must not be closed as a stalled consumer.
func TestWriteTimeoutSparesLateLoop(t *testing.T) {
	const (
		writeTimeout = 500 * time.Millisecond
		busy         = 800 * time.Millisecond
		size         = 2 * mib // more than the kernel buffers take
	)
	var got atomic.Int64
	var gotBefore, gotAfter int64
	ws := startWSServer(t, &phttp.Server{WriteTimeout: writeTimeout}, 1, func(w *phttp.Response, r *phttp.Request) {
		// A long computation on the loop goroutine.
		gotBefore = got.Load()
		for start := time.Now(); time.Since(start) < busy; {
		}
		gotAfter = got.Load()
		w.WriteString("done")
	})
	srv := ws.Server
	c, id := ws.dialWS(t, 1*kib)
	readDone := make(chan error, 1)
	go func() {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, r, err := c.NextReader()
		if err == nil {
			buf := make([]byte, 4*kib)
			for {
				var n int
				n, err = r.Read(buf)
				got.Add(int64(n))
				if err != nil {
					break
				}
			}
		}
		if err == io.EOF && got.Load() == size {
			err = nil
		}
		readDone <- err
	}()
	var sendErr error
	postWait(t, srv, func() { sendErr = srv.TrySendWebSocket(id, phttp.WebSocketBinary, make([]byte, size)) })
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	// The message is flowing: bytes wait in the queue, the write timer runs.
	if !waitUntil(10*time.Second, func() bool { return got.Load() >= 16*kib }) {
		t.Fatalf("the client received only %d bytes", got.Load())
	}
	hc := testserver.Client()
	resp, err := hc.Get(ws.URL + "/compute")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := recvTimeout(t, readDone, 20*time.Second, "the client to read the message"); err != nil {
		t.Errorf("the reading client got %d of %d bytes, then %v", got.Load(), size, err)
	}
	postWait(t, srv, func() {}) // a close the loop made is reported by now
	t.Logf("the client read %d bytes while the loop was busy", gotAfter-gotBefore)
	select {
	case cl := <-ws.closed:
		t.Errorf("the server closed the reading client (code %d) after its loop was busy for %v (WriteTimeout %v)", cl.code, busy, writeTimeout)
	default:
	}
}

// TestWriteTimeoutReleasesFlush: a goroutine streams a detached answer to
// a client that never reads a byte. Bytes wait from the first Flush on and
// the client takes none of them (beyond what the kernel buffers hold), so
// WriteTimeout after that the connection must be closed and the Flush
// waiting on the full queue must return ErrClosed: not twice WriteTimeout
// later because a retry found a few bytes of room in the socket.
func TestWriteTimeoutReleasesFlush(t *testing.T) {
	const (
		writeTimeout = 500 * time.Millisecond
		slack        = 250 * time.Millisecond
	)
	type outcome struct {
		err      error
		flushes  int
		sinceRun time.Duration // from the first Flush to the error
		lastWait time.Duration // how long the failing Flush waited
	}
	results := make(chan outcome, 1)
	s := testserver.Start(t, &phttp.Server{WriteTimeout: writeTimeout, SendQueueBytes: 64 * kib, Handler: func(w *phttp.Response, r *phttp.Request) {
		w.Detach()
		go func() {
			var first time.Time
			for i := range 100000 {
				w.Body = appendPattern(w.Body[:0], int64(i*16*kib), 2, 16*kib)
				t0 := time.Now()
				if err := w.Flush(); err != nil {
					results <- outcome{err, i, time.Since(first), time.Since(t0)}
					return
				}
				if i == 0 {
					first = time.Now()
				}
			}
			results <- outcome{errors.New("1.6 GB went to a client that reads nothing"), 100000, 0, 0}
		}()
	}})
	conn, err := dialSmallWindow("tcp", s.Host, 1*kib, 536)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lag := startLagProbe(s.Server)
	io.WriteString(conn, getRequest("/stream")) // and never read
	res := recvTimeout(t, results, 10*time.Second, "the blocked Flush to fail")
	loopLag := lag.finish()
	t.Logf("Flush %d returned %v after waiting %v, %v after the first Flush (WriteTimeout %v, worst loop lag %v)",
		res.flushes, res.err, res.lastWait.Round(time.Millisecond), res.sinceRun.Round(time.Millisecond), writeTimeout, loopLag.Round(time.Millisecond))
	if !errors.Is(res.err, phttp.ErrClosed) {
		t.Fatalf("the stream ended with %v, want ErrClosed", res.err)
	}
	if res.sinceRun > writeTimeout+slack+loopLag {
		t.Errorf("closed %v after bytes began to wait for a client that never read, want WriteTimeout %v (+ %v, + the loop's worst lag %v)",
			res.sinceRun.Round(time.Millisecond), writeTimeout, slack, loopLag.Round(time.Millisecond))
	}
}
