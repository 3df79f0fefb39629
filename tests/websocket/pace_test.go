package websocket_test

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// paceFrame is the broadcast frame for message n: a text frame of 64
// bytes, unmasked as the server sends it, whose payload carries n.
func paceFrame(n int) []byte {
	return append([]byte{0x81, 64}, fmt.Sprintf("%064d", n)...)
}

// readPaced reads n broadcast frames from rc and checks each is the next
// one, whole.
func readPaced(rc *rawConn, n int) error {
	rc.c.SetReadDeadline(time.Now().Add(4 * wait))
	got := make([]byte, 66)
	for i := range n {
		if _, err := io.ReadFull(rc.br, got); err != nil {
			return fmt.Errorf("after %d of %d frames: %w", i, n, err)
		}
		if want := paceFrame(i); string(got) != string(want) {
			return fmt.Errorf("frame %d is %q, want %q", i, got, want)
		}
	}
	return nil
}

// dialPaced opens n raw WebSocket clients and returns them with their ids.
func dialPaced(t *testing.T, s *wsServer, n int) ([]*rawConn, []phttp.ConnID) {
	conns := make([]*rawConn, n)
	ids := make([]phttp.ConnID, n)
	for i := range conns {
		conns[i] = s.dialRaw(t, nil)
		ids[i] = conns[i].id()
	}
	return conns, ids
}

// TestBroadcastBacklogFlat: goroutines broadcasting Messages to 400
// clients that read as fast as they can keep a few MiB queued, not one
// item per client and message. Without the loop's send pacing the
// broadcasters queued up to 34 MiB of the 52 MiB of frames before the
// loop's turns caught up (the race detector slows them so that they
// queue only 9–11 MiB, within the bound); every client still gets every
// message, in order.
func TestBroadcastBacklogFlat(t *testing.T) {
	const clients, msgs = 400, 2000
	// Queued frame bytes: the pacing lets about 2 MiB of references wait
	// for the loop, and what the loop has picked up waits for the
	// clients' sockets (up to 8 MiB seen under the race detector).
	const bound = 16 << 20
	s := startWS(t, nil)
	conns, ids := dialPaced(t, s, clients)
	heap := testserver.StartHeapSampler(time.Millisecond)
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if q := s.Stats().QueuedBytes; q > peak.Load() {
				peak.Store(q)
			}
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for _, rc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := readPaced(rc, msgs); err != nil {
				errs <- err
			}
		}()
	}
	// Four broadcasters, each to a quarter of the clients, so that the
	// senders outrun the loop under the race detector too.
	const senders = 4
	sendErrs := make(chan error, senders)
	for k := range senders {
		go func() {
			part := ids[k*clients/senders : (k+1)*clients/senders]
			for n := range msgs {
				m, _ := phttp.NewMessage(phttp.WebSocketText, paceFrame(n)[2:])
				for _, id := range part {
					if err := s.SendMessage(id, m); err != nil {
						sendErrs <- fmt.Errorf("SendMessage %d: %w", n, err)
						return
					}
				}
			}
			sendErrs <- nil
		}()
	}
	for range senders {
		if err := <-sendErrs; err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(stop)
	<-sampled
	heap.Finish()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d messages to %d clients: at most %.1f MiB of frames queued; the test process's heap in use grew by %.1f MiB",
		msgs, clients, float64(peak.Load())/(1<<20), float64(heap.InuseGrowth())/(1<<20))
	if runtime.GOOS == "windows" || testserver.OverTLS {
		// Wine's sockets take a few KiB per write, and TLS clients (here,
		// in the same process) read slower than they are written to, so
		// frames wait in the queues as they do for slow clients, which
		// their credit bounds, not the pacing (up to 20 MiB seen over
		// TLS): only the delivery is checked there.
		return
	}
	if peak.Load() > bound {
		t.Errorf("%.1f MiB of frames were queued at once, over the %d MiB bound", float64(peak.Load())/(1<<20), bound>>20)
	}
}

// TestPacedSendWhileLoopBusy: pacing never waits for a loop that does not
// turn. With the loop held in a posted function, a goroutine queues 40,000
// Messages to ten clients (more than the pacing backlog, well within
// their credit): the sends finish while the loop is still held, and once
// it goes on every client gets every message in order.
func TestPacedSendWhileLoopBusy(t *testing.T) {
	const clients, msgs = 10, 4000
	s := startWS(t, nil)
	conns, ids := dialPaced(t, s, clients)
	hold, held := make(chan struct{}), make(chan struct{})
	if err := s.Post(func() { close(held); <-hold }); err != nil {
		t.Fatal(err)
	}
	<-held
	sent := make(chan error, 1)
	go func() {
		for n := range msgs {
			m, _ := phttp.NewMessage(phttp.WebSocketText, paceFrame(n)[2:])
			for _, id := range ids {
				if err := s.SendMessage(id, m); err != nil {
					sent <- err
					return
				}
			}
		}
		sent <- nil
	}()
	select {
	case err := <-sent:
		close(hold)
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(wait):
		close(hold)
		t.Fatalf("the sends waited %v for a loop held in a posted function", wait)
	}
	for i, rc := range conns {
		if err := readPaced(rc, msgs); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
	}
}
