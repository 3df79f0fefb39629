package phttp

// Trailers: fields sent after an answer's body (RFC 9110 §6.5), in the
// last chunk of a chunked HTTP/1.1 body or in a HEADERS frame that ends an
// HTTP/2 stream. They are the answer's own: the Response's Trailer, which
// its owner may fill until the answer ends.

// trailerChunked reports whether w's answer goes out chunked for the sake
// of its trailers on HTTP/1.1: it has a Trailer, a body may follow the
// head, the client can take chunked coding and the handler set no
// Content-Length. Elsewhere (HTTP/1.0, HEAD, 204, 304, an upgrade, a
// length of the handler's) the trailers have no place and are dropped.
func (w *Response) trailerChunked() bool {
	return w.Trailer != nil && w.bodyAllowed() && !w.http10 && !w.upgraded && !w.Header.Has("Content-Length")
}

// appendLastChunk appends the last chunk of a chunked body: its zero
// size, the trailer fields that may be sent, and the empty line.
func (w *Response) appendLastChunk(dst []byte) []byte {
	dst = append(dst, "0\r\n"...)
	for _, f := range w.Trailer {
		if trailerAllowed(f.Name) {
			dst = appendField(dst, f.Name, f.Value)
		}
	}
	return append(dst, "\r\n"...)
}

// trailerAllowed reports whether a field may be sent as a trailer: not
// one that frames, routes, authenticates or describes the message, which
// a recipient must see before the body (RFC 9110 §6.5.1). The list is the
// one net/http and x/net/http2 refuse (httpguts.ValidTrailerHeader), so
// a handler's trailers fare the same under both.
func trailerAllowed(name string) bool {
	for _, bad := range refusedTrailers {
		if equalFold(name, bad) {
			return false
		}
	}
	return true
}

var refusedTrailers = [...]string{
	"Authorization", "Cache-Control", "Connection", "Content-Encoding", "Content-Length",
	"Content-Range", "Content-Type", "Expect", "Host", "Keep-Alive", "Max-Forwards", "Pragma",
	"Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Range", "Realm", "Te",
	"Trailer", "Transfer-Encoding", "Www-Authenticate",
}
