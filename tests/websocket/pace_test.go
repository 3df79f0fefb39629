package websocket_test

import (
	"fmt"
	"io"
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

// TestBroadcastPacedInOrder: four goroutines broadcasting Messages to
// 400 clients that read as fast as they can, each to a quarter of them,
// wait for the loop's pacing whenever they outrun it, and every client
// still gets every message, whole and in order. How far the senders may
// run ahead of the loop is the root package's TestPaceBacklogBounded;
// this logs what was queued at the peak, which also holds what waits for
// the clients' sockets and so depends on how fast this machine lets them
// read (9 to 17 MiB seen under the race detector on two cores, of 52 MiB
// sent; 34 MiB unpaced without it).
func TestBroadcastPacedInOrder(t *testing.T) {
	const clients, msgs = 400, 2000
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
