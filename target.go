package phttp

import (
	"net/url"
	"strings"

	"github.com/phttp-go/phttp/http11"
)

// splitTarget fills Path, RawPath, RawQuery, Fragment (and Host for the
// absolute and authority forms) from URI; it returns a status when the
// target's form does not fit the method (RFC 9112 §3.2) or its authority
// would be refused as a Host header.
func splitTarget(r *Request) (int, string) {
	target := r.URI
	switch {
	case target == "*":
		if r.Method != "OPTIONS" {
			return 400, "asterisk-form target needs OPTIONS"
		}
		r.Path, r.RawPath, r.RawQuery, r.Fragment = "*", "*", "", ""
		return 0, ""
	case r.Method == "CONNECT":
		if strings.ContainsAny(target, "/?#@") || !http11.ValidHost(target) {
			return 400, "CONNECT needs an authority-form target"
		}
		r.Host = target
		r.Path, r.RawPath, r.RawQuery, r.Fragment = "", "", "", ""
		return 0, ""
	case target[0] == '/':
	default:
		scheme, rest, ok := strings.Cut(target, "://")
		if !ok || !(equalFold(scheme, "http") || equalFold(scheme, "https")) {
			return 400, "malformed request-target"
		}
		authority := rest
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			authority, target = rest[:i], rest[i:]
		} else {
			target = "/"
		}
		// The authority replaces the Host header (RFC 9112 §3.2.2), so it
		// passes the same check the Host header does.
		if authority == "" || strings.Contains(authority, "@") || !http11.ValidHost(authority) {
			return 400, "malformed absolute-form authority"
		}
		r.Host = authority
		if target[0] != '/' {
			target = "/" + target
		}
	}
	if i := strings.IndexByte(target, '#'); i >= 0 {
		r.Fragment = target[i+1:]
		target = target[:i]
	} else {
		r.Fragment = ""
	}
	if i := strings.IndexByte(target, '?'); i >= 0 {
		r.RawQuery = target[i+1:]
		target = target[:i]
	} else {
		r.RawQuery = ""
	}
	r.RawPath = target
	r.Path = target
	if strings.IndexByte(target, '%') >= 0 {
		p, err := url.PathUnescape(target)
		if err != nil {
			return 400, "malformed percent-encoding in path"
		}
		r.Path = p
	}
	return 0, ""
}
