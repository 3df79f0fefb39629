package phttp

import (
	"net/url"
	"strings"
)

// SameOrigin is the default origin check for WebSocket upgrades: it
// reports whether the request has no Origin header (a client that is not
// a browser), or one Origin naming the same scheme, host and port the
// request was sent to (its Host; "https" on TLS, else "http"). Browsers
// send Origin with every WebSocket handshake, so this refuses pages from
// other sites (cross-site WebSocket hijacking). It only reads r: safe from
// any goroutine that may read r.
func SameOrigin(r *Request) bool {
	origin := r.Header.Values("Origin")
	switch len(origin) {
	case 0:
		return true
	case 1:
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		return sameOrigin(origin[0], scheme, r.Host)
	}
	return false
}

// sameOrigin reports whether origin is scheme://host, with the scheme's
// default port standing for an absent one on either side.
func sameOrigin(origin, scheme, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return false
	}
	return equalFold(u.Scheme, scheme) && equalFold(withPort(u.Host, u.Scheme), withPort(host, scheme))
}

// withPort adds scheme's default port to a host that names none.
func withPort(host, scheme string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		return host
	}
	if equalFold(scheme, "https") {
		return host + ":443"
	}
	return host + ":80"
}

// originAllowed decides a WebSocket upgrade: CheckOrigin when set, else
// SameOrigin or one of AllowedOrigins.
func (lp *eventLoop) originAllowed(r *Request) bool {
	if f := lp.srv.CheckOrigin; f != nil {
		return f(r)
	}
	if SameOrigin(r) {
		return true
	}
	origin := r.Header.Values("Origin")
	if len(origin) != 1 {
		return false
	}
	for _, allowed := range lp.srv.AllowedOrigins {
		if u, err := url.Parse(allowed); err == nil && u.Host != "" && sameOrigin(origin[0], u.Scheme, u.Host) {
			return true
		}
	}
	return false
}
