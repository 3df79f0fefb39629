// Package sha1 derives the RFC 6455 Sec-WebSocket-Accept value from a
// client's Sec-WebSocket-Key, and checks that the key is well formed.
//
// It exists so that the handshake answer is computed in one audited place,
// without allocating, from the standard library's crypto/sha1. It never
// implements SHA-1 itself, never reads or writes HTTP headers, and never
// decides whether an upgrade is allowed: that is the caller's job.
//
// SHA-1 is used here only because RFC 6455 §4.2.2 names it; the accept value
// proves the server understood the WebSocket handshake, it is not a security
// boundary.
package sha1
