package phttp

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// wakeSignal is the loop's wake-up, shared by the three pollers: any
// goroutine may call wake, many wakes fold into one write to the poller's
// wake-up descriptor (an eventfd, a pipe or a loopback socket), and once
// the poller is closed a wake writes nothing. Without that last rule a
// wake racing the loop's teardown would write into a closed descriptor,
// or into whatever file has since been given its number.
type wakeSignal struct {
	// pending is set by the first wake after the loop drained the
	// descriptor; later wakes see it and return at once.
	pending atomic.Bool
	// mu serialises writes (Wine answers one of two concurrent sends on a
	// socket with WSAEWOULDBLOCK) and keeps close from running while one
	// is in progress. It guards closed.
	mu     sync.Mutex
	closed bool
	// write makes the descriptor readable; a descriptor already full
	// counts as success, since the loop will wake anyway.
	write func() error
	// readEnd is the descriptor drain reads the wake-ups from (the
	// eventfd, the pipe's read end, the pair's receiving socket). The
	// loop's only.
	readEnd sysSocket
}

// wake makes the poller's current or next wait return. Any goroutine.
func (w *wakeSignal) wake() error {
	if w.pending.Swap(true) {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil // the loop is gone: there is no one left to wake
	}
	if err := w.write(); err != nil {
		w.pending.Store(false) // let the next wake try again
		return err
	}
	return nil
}

// drain reads the wake-up descriptor empty, then clears the fold flag. revents
// is what the poller reported, for the error. A descriptor at its end has
// broken: the poller cannot be woken any more and would report it
// forever, so that is an error for the loop rather than a silent spin.
func (w *wakeSignal) drain(revents int) error {
	defer w.drained()
	var buf [64]byte
	for range 64 {
		n, err := readSocket(w.readEnd, buf[:])
		switch {
		case errors.Is(err, errWouldBlock):
			return nil
		case err == io.EOF:
			return fmt.Errorf("phttp: wake-up descriptor closed (revents %#x)", revents)
		case err != nil:
			return fmt.Errorf("phttp: wake-up read: %w", err)
		case n < len(buf):
			return nil
		}
	}
	return nil
}

// drained is called by the loop after it has read the descriptor empty.
// Clearing after the read, not before, is what keeps wake-ups from being
// lost: a wake landing between a clear and the read would have its write
// eaten by that read while the flag stayed set, and every later wake would
// be skipped. A wake that lands between the read and the clear writes
// nothing, but its work was queued before it called wake, and the loop
// collects queued work after every wait.
func (w *wakeSignal) drained() { w.pending.Store(false) }

// close runs release (which closes the descriptors) once no write is in
// progress, and makes every later wake a no-op. Idempotent.
func (w *wakeSignal) close(release func() error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	w.pending.Store(true)
	return release()
}
