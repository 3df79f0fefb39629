//go:build !linux || phttp_poll

package phttp

import (
	"fmt"
	"time"
)

// pollSet is the socket table that poll(2) and WSAPoll share: entries is
// the array the OS call takes (of unix.PollFd or WSAPOLLFD), and beside it
// each slot's socket and the loop's token, with an index from socket to
// slot so that add, modify and remove are O(1) (remove moves the last slot
// into the hole). Only the loop goroutine uses it.
type pollSet[E any] struct {
	entries []E
	socks   []sysSocket // socks[i] is slot i's socket, even while entries[i] is ignored
	tokens  []uint64    // tokens[i] is the loop's token for slot i
	index   map[sysSocket]int
}

// init makes slot 0 the wake-up socket's, so the set is never empty.
func (ps *pollSet[E]) init(wake sysSocket, e E) {
	ps.entries = []E{e}
	ps.socks = []sysSocket{wake}
	ps.tokens = []uint64{0}
	ps.index = make(map[sysSocket]int)
}

func (ps *pollSet[E]) add(s sysSocket, token uint64, e E) error {
	if _, ok := ps.index[s]; ok {
		return fmt.Errorf("phttp: poll add: socket %#x is already registered", uintptr(s))
	}
	ps.index[s] = len(ps.entries)
	ps.entries = append(ps.entries, e)
	ps.socks = append(ps.socks, s)
	ps.tokens = append(ps.tokens, token)
	return nil
}

// slot finds s's slot for modify; op names the caller in the error.
func (ps *pollSet[E]) slot(s sysSocket, op string) (int, error) {
	i, ok := ps.index[s]
	if !ok {
		return 0, fmt.Errorf("phttp: poll %s: socket %#x is not registered", op, uintptr(s))
	}
	return i, nil
}

func (ps *pollSet[E]) remove(s sysSocket) error {
	i, err := ps.slot(s, "remove")
	if err != nil {
		return err
	}
	last := len(ps.entries) - 1
	if i != last {
		ps.entries[i] = ps.entries[last]
		ps.socks[i] = ps.socks[last]
		ps.tokens[i] = ps.tokens[last]
		ps.index[ps.socks[i]] = i
	}
	var zero E
	ps.entries[last] = zero
	ps.entries = ps.entries[:last]
	ps.socks = ps.socks[:last]
	ps.tokens = ps.tokens[:last]
	delete(ps.index, s)
	return nil
}

// timeoutMillis turns a poll timeout into the milliseconds the OS calls
// take, rounding up so that a timer due in 0.3 ms does not spin the loop.
func timeoutMillis(d time.Duration) int {
	if d < 0 {
		return -1
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > 1<<30 {
		ms = 1 << 30
	}
	return int(ms)
}
