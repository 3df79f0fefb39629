//go:build unix && !linux

package phttp

// pollPeerClosed is zero here: macOS and the BSDs report a peer's
// half-close as POLLHUP, which poll(2) sets whatever was asked for.
const pollPeerClosed = 0
