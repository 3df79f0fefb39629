//go:build linux && phttp_poll

package phttp

import "golang.org/x/sys/unix"

// pollPeerClosed is the poll(2) event for a peer's half-close: Linux
// reports it only as POLLRDHUP, and only when asked.
const pollPeerClosed = unix.POLLRDHUP
