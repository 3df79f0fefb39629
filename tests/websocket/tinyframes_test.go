package websocket_test

import (
	"errors"
	"runtime"
	"testing"

	gws "github.com/gobwas/ws"
	"github.com/phttp-go/phttp"
)

// tinyPayload is message n of TestTinyFramesHeldQueue: its number in
// three bytes.
func tinyPayload(n int) []byte { return []byte{byte(n >> 16), byte(n >> 8), byte(n)} }

// TestTinyFramesHeldQueue: a queue full of tiny frames holds about
// SendQueueBytes of heap, not an item per frame. With the loop held in a
// posted function (so that nothing drains to the kernel), copied frames
// and Message frames of three bytes, alternating, fill a 1 MiB queue;
// the heap that holds them is asserted under three times the queue,
// where an item per frame took over 10 MiB. Once the loop goes on the
// client gets every frame whole and in order, the copies and the Message
// frames joined in one buffer included.
func TestTinyFramesHeldQueue(t *testing.T) {
	const queueBytes = 1 << 20
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.SendQueueBytes = queueBytes })
	rc := s.dialRaw(t, nil)
	id := rc.id()
	hold, held := make(chan struct{}), make(chan struct{})
	if err := s.Post(func() { close(held); <-hold }); err != nil {
		t.Fatal(err)
	}
	<-held
	released := false
	release := func() {
		if !released {
			released = true
			close(hold)
		}
	}
	defer release()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 0
	for ; n < 2*queueBytes; n++ { // bounded: each frame takes at least 2 bytes of credit
		var err error
		if n%2 == 0 {
			err = s.TrySendWebSocket(id, phttp.WebSocketBinary, tinyPayload(n))
		} else {
			m, _ := phttp.NewMessage(phttp.WebSocketBinary, tinyPayload(n))
			err = s.TrySendMessage(id, m)
		}
		if errors.Is(err, phttp.ErrQueueFull) {
			break
		}
		if err != nil {
			t.Fatalf("send %d: %v", n, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d frames of 5 bytes queued with the loop held: the heap grew %.2f MiB (SendQueueBytes %d KiB)",
		n, float64(grew)/(1<<20), queueBytes>>10)
	if want := queueBytes / 5; n < want-1 {
		t.Fatalf("ErrQueueFull after %d frames, want about %d", n, want)
	}
	if grew > 3*queueBytes {
		t.Errorf("%d tiny frames held %.1f MiB of heap, over three times SendQueueBytes", n, float64(grew)/(1<<20))
	}
	release()
	for i := range n {
		f, err := rc.read()
		if err != nil {
			t.Fatalf("frame %d of %d: %v", i, n, err)
		}
		if f.Header.OpCode != gws.OpBinary || !f.Header.Fin || string(f.Payload) != string(tinyPayload(i)) {
			t.Fatalf("frame %d: %v fin %v payload %x, want binary %x", i, f.Header.OpCode, f.Header.Fin, f.Payload, tinyPayload(i))
		}
	}
}
