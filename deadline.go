package phttp

import (
	"sync"
	"time"
)

// deadline is a net.Conn-style deadline for calls that wait on the loop
// (a hijacked connection's Read and Write, a detached answer's queue): a
// channel closed when the deadline passes, made afresh when it is moved,
// so a waiter selects on it instead of polling the clock.
type deadline struct {
	mu     sync.Mutex // guards everything below
	timer  *time.Timer
	passed chan struct{} // closed once the deadline has passed
	onPass func()        // also called then: wakes waiters that are not on the channel
}

// set moves the deadline to t; the zero time means none. Any goroutine.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		// The old timer fired (or is firing): its channel is closed, so
		// waiters of the new deadline need a new one.
		d.passed = nil
	}
	d.timer = nil
	if d.passed != nil && isClosed(d.passed) {
		d.passed = nil
	}
	if d.passed == nil {
		d.passed = make(chan struct{})
	}
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		close(d.passed)
		d.fire()
		return
	}
	ch := d.passed
	d.timer = time.AfterFunc(wait, func() {
		d.mu.Lock()
		if d.passed == ch && !isClosed(ch) {
			close(ch)
		}
		d.mu.Unlock()
		d.fire()
	})
}

func (d *deadline) fire() {
	if d.onPass != nil {
		go d.onPass() // it takes locks of its own; never under d.mu
	}
}

// wait returns the channel closed when the current deadline passes.
func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.passed == nil {
		d.passed = make(chan struct{})
	}
	return d.passed
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
