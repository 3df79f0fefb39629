package phttp

import (
	"net"
	"strings"
)

// defaultLocalHosts are the names a browser uses for a loopback server.
// Anything else in Host (an attacker's domain re-bound to 127.0.0.1, say)
// is answered 421: DNS-rebinding protection.
var defaultLocalHosts = []string{"localhost", "127.0.0.1", "[::1]"}

// isLocalListener reports whether a listener only accepts local peers.
func isLocalListener(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
}

// hostAllowed applies AllowedHosts to the request's host (present is false
// for an HTTP/1.0 request without Host, which no browser sends).
func (lp *eventLoop) hostAllowed(host string, present bool) bool {
	allowed := lp.srv.AllowedHosts
	if allowed == nil {
		if !lp.localOnly {
			return true
		}
		allowed = defaultLocalHosts
	}
	if !present {
		return true
	}
	name := host
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i > 0 {
			name = host[:i+1]
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		name = host[:i]
	}
	for _, a := range allowed {
		if a == "*" || equalFold(a, name) || equalFold(a, host) {
			return true
		}
	}
	return false
}
