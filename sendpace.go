package phttp

import (
	"sync"
	"sync/atomic"
	"time"
)

// sendPace keeps goroutines that push frames (SendWebSocket, SendMessage,
// SendRaw, a hijacked connection's Write) from running far ahead of the
// loop. Each queue's credit bounds what one slow client may hold, but a
// broadcaster to many healthy clients fills every queue before the loop
// has had a turn (with GOMAXPROCS=1 it gets none until the broadcaster is
// preempted), and the queued items then cost memory per connection, even
// when they all reference one Message: 1,000 messages to 1,000 clients
// held 86 MiB above the RSS before the broadcast that way. So a waiting
// send also waits while the frames queued by waiting sends, and not yet
// picked up by the loop, cost more than paceLimit, until the loop's turns
// bring that under paceResume.
// Frames a loop turn has picked up no longer count: what a slow client
// holds is bounded by its own credit, so a slow client never holds up
// sends to the others here.
//
// Pacing saves memory; it is not what bounds it (credit is), so a wait is
// short: a sender that has waited paceMaxWait goes on, and so does every
// sender after it until the loop turns again. A loop stuck in a long
// handler, or a waiting send made on the loop itself (misuse, see
// SendWebSocket), thus costs a delay, never a deadlock. Try sends and the
// loop's own answers never wait here.
type sendPace struct {
	backlog atomic.Int64  // cost of paced frames the loop has not picked up
	waiting atomic.Bool   // a sender waits, or is about to: done must look
	turns   atomic.Uint64 // loop turns begun (the loop counts them)
	gaveUp  atomic.Uint64 // 1 + turns when a wait last ran out, or 0

	mu      sync.Mutex
	wake    chan struct{} // closed when the backlog falls under paceResume
	stopped bool          // the loop is gone: nobody waits any more
}

const (
	// paceLimit is the backlog at which waiting sends wait, and
	// paceResume the one at which they go on. The larger they are, the
	// more frames each write to a client carries and the more memory a
	// broadcast holds: 64-byte SendWebSocket frames to 1,000 clients went
	// at 1.05M, 1.30M and 1.32M frames/s with 1, 2 and 4 MiB here (1.67M
	// unpaced), while 1,000 Messages to them held 7, 10 and 16 MiB at the
	// peak (86 MiB unpaced).
	paceLimit  = 2 << 20
	paceResume = paceLimit / 2
	// paceItemCost is what a queued item costs beyond the bytes it owns:
	// its outItem and its share of the queue's slice. A Message's bytes
	// are shared, so a reference to one costs only this.
	paceItemCost = 64
	// paceMaxWait is the longest a sender waits for the loop to catch up.
	paceMaxWait = 50 * time.Millisecond
)

// turn counts a loop turn. The loop only.
func (p *sendPace) turn() { p.turns.Add(1) }

// await waits while the backlog is over paceLimit, at most paceMaxWait, or
// until passed is closed (a nil channel never is). It reports false if
// passed closed first. Any goroutine.
func (p *sendPace) await(passed <-chan struct{}) bool {
	var limit *time.Timer
	defer func() {
		if limit != nil {
			limit.Stop()
		}
	}()
	for p.backlog.Load() > paceLimit {
		turn := p.turns.Load()
		if p.gaveUp.Load() == turn+1 {
			return true // a wait ran out and the loop has not turned since
		}
		p.mu.Lock()
		if p.stopped {
			p.mu.Unlock()
			return true
		}
		// waiting is set before the backlog is read again, and done reads
		// it after lowering the backlog: one of the two sees the other.
		p.waiting.Store(true)
		if p.backlog.Load() <= paceLimit {
			p.mu.Unlock()
			return true
		}
		if p.wake == nil {
			p.wake = make(chan struct{})
		}
		wake := p.wake
		p.mu.Unlock()
		if limit == nil {
			limit = time.NewTimer(paceMaxWait)
		}
		select {
		case <-wake:
		case <-passed:
			return false
		case <-limit.C:
			p.gaveUp.Store(turn + 1)
			return true
		}
	}
	return true
}

// add counts n more bytes of paced frames waiting for the loop.
func (p *sendPace) add(n int) { p.backlog.Add(int64(n)) }

// done takes n bytes off the backlog once the loop has picked them up,
// releasing the waiting senders when it falls low enough.
func (p *sendPace) done(n int) {
	if n == 0 {
		return
	}
	if p.backlog.Add(-int64(n)) > paceResume || !p.waiting.Load() {
		return
	}
	p.release()
}

// release wakes every waiting sender.
func (p *sendPace) release() {
	p.mu.Lock()
	p.waiting.Store(false)
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
	p.mu.Unlock()
}

// stop releases every waiting sender for good: the loop is going, and the
// queues' own close tells them what became of their connection.
func (p *sendPace) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.release()
}
