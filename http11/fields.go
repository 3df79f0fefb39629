package http11

// The few fields that decide how a request is framed are interpreted as
// each line completes, so that a smuggling attempt is refused before the
// rest of the head is even read.

// field interprets one complete field line.
func (p *Parser) field(buf []byte, f Field) *Error {
	name := buf[f.Name.Start:f.Name.End]
	value := buf[f.Value.Start:f.Value.End]
	// Dispatch on length first: most fields are none of these and cost one
	// switch.
	switch len(name) {
	case 4:
		if equalFold(name, "host") {
			return p.host(value, f.Value)
		}
	case 6:
		if equalFold(name, "expect") {
			return p.expect(value)
		}
	case 10:
		if equalFold(name, "connection") {
			p.connection(value)
		}
	case 14:
		if equalFold(name, "content-length") {
			return p.contentLength(value)
		}
	case 17:
		if equalFold(name, "transfer-encoding") {
			return p.transferEncoding(value)
		}
	}
	return nil
}

// finish applies the checks that need the whole head.
func (p *Parser) finish() *Error {
	h := p.h
	switch {
	case h.Minor >= 1 && !h.HasHost:
		return errHostMissing // RFC 9112 §3.2
	case p.hasTE && p.hasCL:
		return errCLAndTE // RFC 9112 §6.3: a smuggling signature
	}
	return nil
}

// host checks Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2).
// Only one is allowed, since two could route the request two ways.
func (p *Parser) host(v []byte, s Span) *Error {
	if p.hosts++; p.hosts > 1 {
		return errHostDuplicate
	}
	if !validHost(v) {
		return errHostInvalid
	}
	p.h.Host, p.h.HasHost = s, true
	return nil
}

// ValidHost reports whether v is a valid Host value: uri-host [ ":" port ]
// (RFC 9110 §7.2, RFC 3986 §3.2.2). It is the check the parser applies to
// the Host header, for a server that must apply the same check to an
// absolute-form target's authority.
func ValidHost(v string) bool { return validHost([]byte(v)) }

func validHost(v []byte) bool {
	i := 0
	if len(v) > 0 && v[0] == '[' {
		// IP-literal: IPv6address or IPvFuture, by characters only.
		i = 1
		for i < len(v) && ipLiteralTab[v[i]] {
			i++
		}
		if i == 1 || i == len(v) || v[i] != ']' {
			return false
		}
		i++
	} else {
		// reg-name, which also covers IPv4address.
		for i < len(v) && v[i] != ':' {
			switch c := v[i]; {
			case regNameTab[c]:
				i++
			case c == '%' && i+2 < len(v) && hexTab[v[i+1]] >= 0 && hexTab[v[i+2]] >= 0:
				i += 3
			default:
				return false
			}
		}
	}
	if i == len(v) {
		return true
	}
	if v[i] != ':' {
		return false
	}
	for _, c := range v[i+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// contentLength accepts exactly one field of 1*DIGIT (RFC 9110 §8.6). A
// list, even of equal values, is refused: the lenient reading that
// recipients MAY apply is exactly where parsers have disagreed.
func (p *Parser) contentLength(v []byte) *Error {
	if p.hasCL {
		return errCLDuplicate
	}
	p.hasCL = true
	if len(v) == 0 {
		return errCLInvalid
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return errCLInvalid
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return errCLInvalid // overflow
		}
		n = n*10 + d
	}
	p.h.ContentLength = n
	return nil
}

// transferEncoding reads one Transfer-Encoding field as part of the list
// made by all of them (RFC 9112 §6.1). Only chunked is implemented, so the
// only acceptable list is exactly "chunked".
func (p *Parser) transferEncoding(v []byte) *Error {
	if p.h.Minor == 0 {
		// RFC 9112 §6.1: a 1.0 recipient may not understand it; framing
		// would then differ between hops.
		return errTEHTTP10
	}
	p.hasTE = true
	for i := 0; i >= 0; {
		var c []byte
		c, i = nextElem(v, i)
		switch {
		case !allToken(c):
			// Parameters included (chunked takes none), and empty elements
			// too: RFC 9110 would skip them, but "chunked," is where
			// implementations part ways, so it is not worth the risk.
			return errTEInvalid
		case p.h.Chunked:
			if equalFold(c, "chunked") {
				return errTETwice
			}
			return errTENotLast
		case equalFold(c, "chunked"):
			p.h.Chunked = true
		default:
			return ErrNotImplemented
		}
	}
	return nil
}

// connection records the connection options we act on; others are ignored.
func (p *Parser) connection(v []byte) {
	for i := 0; i >= 0; {
		var c []byte
		c, i = nextElem(v, i)
		switch {
		case equalFold(c, "close"):
			p.h.Close = true
		case equalFold(c, "keep-alive"):
			p.h.KeepAlive = true
		case equalFold(c, "upgrade"):
			p.h.Upgrade = true
		}
	}
}

// expect accepts 100-continue, the only expectation defined (RFC 9110
// §10.1.1); anything else is answered 417. An empty value expects nothing.
func (p *Parser) expect(v []byte) *Error {
	switch {
	case len(v) == 0:
		return nil
	case equalFold(v, "100-continue"):
		if p.h.Minor >= 1 {
			p.h.Expect100 = true
		}
		return nil
	}
	return ErrExpectation
}
