// Package stdhttp runs net/http handlers on a phttp server: routers
// (http.ServeMux patterns, chi), middleware, http.FileServer and
// http.ServeContent, and WebSocket libraries built on http.Hijacker.
//
// Handler runs each request's ServeHTTP on a goroutine of its own, so the
// handler may block on disk or other services while the loop goes on
// serving everyone else; OnLoop runs it on the loop goroutine, the cheaper
// path for handlers that never block. Either way the handler gets a real
// *http.Request and an http.ResponseWriter that behaves as net/http's
// does: an implicit 200, Content-Type sniffing, a Content-Length when the
// handler finishes before 2 KiB are written and chunked coding after,
// trailers (declared in the "Trailer" header or named with
// http.TrailerPrefix, on HTTP/1.1 and HTTP/2), http.Flusher, http.Hijacker, io.ReaderFrom (sendfile for files),
// http.ResponseController, HEAD, 204 and 304 without bodies, and
// panic(http.ErrAbortHandler) to abort an answer.
//
// The package never starts a goroutine for a connection: an idle
// keep-alive connection costs what it costs natively. It is a separate
// package so that a program that does not use it does not link net/http;
// the root package never imports it.
package stdhttp
