// Package ws reads and writes WebSocket frames for the server side of RFC 6455
// connections driven by a single event loop.
//
// A Reader takes whatever bytes have arrived on a connection, parses client
// frames out of them incrementally, joins fragments into whole messages,
// checks text as UTF-8 as it goes, and reports each message or control frame
// as an Event. Every violation of RFC 6455 is a ProtocolError carrying the
// close code the server must fail the connection with. The writing side
// (AppendFrame, AppendClose) builds each server frame as one contiguous
// buffer, so that a frame is always handed to the socket as one piece that
// no other writer can split.
//
// The package builds on github.com/gobwas/ws for its vocabulary (OpCode,
// StatusCode, Header) and its masking code (Cipher), but parses headers from
// byte slices itself: gobwas's readers want an io.Reader and report a short
// buffer as io.EOF or io.ErrUnexpectedEOF, whereas an event loop needs to
// hear "need more" without anything being consumed.
//
// What it never does: it performs no I/O, starts no goroutines, takes no
// locks (a Reader belongs to one goroutine), negotiates no extensions (any
// RSV bit is an error), never masks what it writes (servers must not), and
// never answers pings or closes by itself: the caller decides what to send.
package ws
