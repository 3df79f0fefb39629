// Package phttp is a small HTTP/1.1 and WebSocket server for localhost
// gateways: one goroutine runs the OS poller over every socket, parses
// requests and calls a synchronous Handler, while any other goroutine may
// answer detached responses or push WebSocket frames through a bounded,
// back-pressured outbound queue that wakes the loop.
//
// Because the Handler always runs on the loop goroutine, state it owns needs
// no locks; other goroutines reach that state through Server.Post. An idle
// keep-alive connection costs a few hundred bytes and no goroutine.
//
// phttp never starts a goroutine per connection, never lets senders on
// other goroutines queue more than SendQueueBytes for a slow reader (the
// loop's own answers pause reading from it instead), never holds more
// than MaxBufferedBytes of unfinished input in all, never forwards an
// ambiguous request (conflicting lengths, obs-fold, bare CR, bad chunk
// sizes) to the Handler, never runs the Handler on a goroutine other than
// the one driving the loop, and does not speak TLS or HTTP/2: it is meant
// to sit on 127.0.0.1.
package phttp
