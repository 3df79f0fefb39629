// Package http11 parses HTTP/1.1 request heads and decodes chunked bodies,
// strictly, incrementally and without allocating.
//
// It exists so that a single event loop can feed a connection's bytes to a
// parser as they arrive, without a goroutine or a bufio.Reader per
// connection. [Parser] scans a request head (RFC 9112 §2–§7) into a [Head]
// made of [Span] offsets into the caller's buffer; [ChunkedDecoder] turns a
// chunked body into sub-slices of the caller's input.
//
// What it never does:
//   - allocate per request: spans index the caller's buffer, errors are
//     preallocated, and a reused Head keeps its Fields backing array;
//   - copy, retain or modify the caller's bytes;
//   - rescan bytes it has already accepted: a call with more bytes resumes
//     where the previous call stopped;
//   - guess. Anything RFC 9112 lets a recipient reject that has been used
//     for request smuggling or response splitting (bare CR or LF, obs-fold,
//     control bytes, Content-Length together with Transfer-Encoding,
//     duplicate or malformed Content-Length, unknown transfer codings, bad
//     chunk sizes) is an [*Error] carrying the status to answer with;
//   - interpret the request-target beyond its characters, decode
//     percent-escapes, or look at any field other than the few that frame the
//     message (Host, Content-Length, Transfer-Encoding, Connection, Expect).
//     Routing, URL parsing and everything else belong to the caller.
//
// The package imports only the standard library and nothing from the
// phttp root package.
package http11
