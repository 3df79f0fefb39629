package websocket_test

import (
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	gws "github.com/gobwas/ws"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// kernelSendSlack is how much the server's kernel may buffer for one
// stalled loopback peer: the largest autotuned send buffer plus our small
// receive buffer (doubled by Linux), with room for headers.
func kernelSendSlack(rcvbuf int) int {
	slack := 8 << 20 // unknown system: generous
	if b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_wmem"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 3 {
			if n, err := strconv.Atoi(f[2]); err == nil {
				slack = n
			}
		}
	}
	return slack + 4*rcvbuf + 64<<10
}

// TestSlowReader: with SendQueueBytes = 64 KiB and a client that stops
// reading, TrySendWebSocket fails with ErrQueueFull once about
// SendQueueBytes (plus what the kernel buffers) was queued, SendCapacity
// drops to about 0, other clients are still served, and a waiting
// SendWebSocket is released once the client reads again; every message
// arrives once, in order.
func TestSlowReader(t *testing.T) {
	const (
		queueBytes = 64 << 10
		msgSize    = 1 << 10
		rcvbuf     = 16 << 10
	)
	frameSize := msgSize + 4 // 2-byte header + 16-bit length
	s := startWS(t, func(s *phttp.Server, _ *recorder) {
		s.SendQueueBytes = queueBytes
		s.WriteTimeout = 30 * time.Second
	})
	c := s.Dial(t, 60*time.Second)
	if err := testserver.TCP(c).SetReadBuffer(rcvbuf); err != nil {
		t.Fatalf("SetReadBuffer: %v", err)
	}
	rc := s.dialRawConn(t, c, nil)
	id := rc.id()
	if got := s.SendCapacity(id); got != queueBytes {
		t.Errorf("SendCapacity of an idle connection: %d, want %d", got, queueBytes)
	}

	msg := func(seq int) []byte {
		b := pattern(msgSize, byte(seq))
		binary.BigEndian.PutUint64(b, uint64(seq))
		return b
	}

	// Fill: the client reads nothing from here on.
	slack := kernelSendSlack(rcvbuf)
	maxMsgs := (queueBytes+slack)/frameSize + 64
	seq, full := 0, false
	deadline := time.Now().Add(20 * time.Second)
	for !full && seq <= maxMsgs && time.Now().Before(deadline) {
		err := s.TrySendWebSocket(id, phttp.WebSocketBinary, msg(seq))
		switch {
		case err == nil:
			seq++
		case errors.Is(err, phttp.ErrQueueFull):
			// The loop may still be moving bytes to the kernel: full
			// means no credit comes back for a while. No event says
			// "the kernel is full", so this is a bounded poll.
			full = true
			for range 50 {
				if s.SendCapacity(id) >= frameSize {
					full = false
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
		default:
			t.Fatalf("TrySendWebSocket #%d: %v", seq, err)
		}
	}
	accepted := seq * frameSize
	t.Logf("TrySendWebSocket accepted %d messages (%d bytes) before ErrQueueFull; SendQueueBytes %d, kernel slack bound %d",
		seq, accepted, queueBytes, slack)
	if !full {
		t.Fatalf("no lasting ErrQueueFull after %d messages (%d bytes): the queue is not bounded", seq, accepted)
	}
	if accepted < queueBytes-frameSize {
		t.Errorf("ErrQueueFull after only %d bytes, less than SendQueueBytes %d", accepted, queueBytes)
	}
	if capLeft := s.SendCapacity(id); capLeft < 0 || capLeft >= frameSize {
		t.Errorf("SendCapacity with a full queue: %d, want about 0 (< %d)", capLeft, frameSize)
	}

	// A stalled client holds nobody else.
	s.checkEcho(t)

	// A waiting send is held while the client does not read...
	last := seq
	res := make(chan error, 1)
	go func() { res <- s.SendWebSocket(id, phttp.WebSocketBinary, msg(last)) }()
	select {
	case err := <-res:
		t.Fatalf("SendWebSocket on a full queue returned at once (%v); it must wait", err)
	case <-time.After(200 * time.Millisecond):
	}

	// ... and released when it reads again.
	for want := 0; want <= last; want++ {
		f, err := rc.read()
		if err != nil {
			t.Fatalf("reading message %d of %d: %v", want, last+1, err)
		}
		if f.Header.OpCode != gws.OpBinary || len(f.Payload) != msgSize {
			t.Fatalf("message %d: opcode %v, %d bytes", want, f.Header.OpCode, len(f.Payload))
		}
		if got := int(binary.BigEndian.Uint64(f.Payload)); got != want {
			t.Fatalf("message %d arrived as number %d: lost or reordered", want, got)
		}
	}
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("waiting SendWebSocket: %v, want nil once the client read", err)
		}
	case <-time.After(wait):
		t.Fatalf("waiting SendWebSocket not released within %v of the client reading", wait)
	}
	// All credit comes back (it is returned right after the write, so
	// poll briefly).
	for i := 0; s.SendCapacity(id) != queueBytes; i++ {
		if i == 1000 {
			t.Fatalf("SendCapacity after draining: %d, want %d", s.SendCapacity(id), queueBytes)
		}
		time.Sleep(time.Millisecond)
	}
	rc.write(masked(gws.OpText, true, []byte("still fine")))
	if f := rc.mustRead(); string(f.Payload) != "still fine" {
		t.Fatalf("echo after draining: %s", describe(f.Payload))
	}
}

// TestSlowReaderWaitingSenderClosed: a sender waiting on a full queue is
// released with ErrClosed when the connection goes.
func TestSlowReaderWaitingSenderClosed(t *testing.T) {
	const queueBytes = 16 << 10
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.SendQueueBytes = queueBytes })
	c := s.Dial(t, 60*time.Second)
	testserver.TCP(c).SetReadBuffer(8 << 10)
	rc := s.dialRawConn(t, c, nil)
	id := rc.id()
	msg := make([]byte, 4<<10)
	res := make(chan error, 1)
	go func() {
		for range 1 << 14 { // bounded: far more than any kernel buffers
			if err := s.SendWebSocket(id, phttp.WebSocketBinary, msg); err != nil {
				res <- err
				return
			}
		}
		res <- nil
	}()
	// Wait until the sender is stuck (capacity about 0), then drop the
	// client.
	for i := 0; s.SendCapacity(id) >= len(msg); i++ {
		if i == 10000 {
			t.Fatalf("queue never filled: SendCapacity %d", s.SendCapacity(id))
		}
		time.Sleep(time.Millisecond)
	}
	testserver.TCP(c).SetLinger(0)
	c.Close()
	select {
	case err := <-res:
		if !errors.Is(err, phttp.ErrClosed) {
			t.Errorf("waiting SendWebSocket on a connection that went: %v, want ErrClosed", err)
		}
	case <-time.After(wait):
		t.Fatalf("waiting sender not released within %v of the connection closing", wait)
	}
	s.expectOneClose(t, id, phttp.CloseAbnormal)
}
