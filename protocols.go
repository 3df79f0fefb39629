package phttp

import "strings"

// Protocols is a set of HTTP protocols a Server speaks, for
// Server.Protocols.
type Protocols uint8

const (
	// HTTP1 is HTTP/1.1 (and 1.0), over plain TCP or TLS.
	HTTP1 Protocols = 1 << iota
	// HTTP2 is HTTP/2 over TLS, chosen by ALPN "h2" (RFC 9113 §3.2).
	HTTP2
	// UnencryptedHTTP2 is HTTP/2 over plain TCP with prior knowledge: the
	// client opens with the HTTP/2 preface (RFC 9113 §3.3). The HTTP/1.1
	// Upgrade to h2c, which RFC 9113 deprecates, is not offered.
	UnencryptedHTTP2
)

// String lists the protocols in the set, as "HTTP1|HTTP2".
func (p Protocols) String() string {
	var names []string
	for _, n := range []struct {
		bit  Protocols
		name string
	}{{HTTP1, "HTTP1"}, {HTTP2, "HTTP2"}, {UnencryptedHTTP2, "UnencryptedHTTP2"}} {
		if p&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	if len(names) == 0 {
		return "Protocols(0)"
	}
	return strings.Join(names, "|")
}

// protocols is the set the server speaks: Protocols, or its default
// (HTTP/1 always, HTTP/2 where TLS can negotiate it).
func (s *Server) protocols() Protocols {
	if s.Protocols != 0 {
		return s.Protocols
	}
	if s.TLSConfig != nil || s.tlsFiles != nil {
		return HTTP1 | HTTP2
	}
	return HTTP1
}
