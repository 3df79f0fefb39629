package http11

// DefaultMaxHeaderBytes is the head limit used when Parser.MaxHeaderBytes is 0.
const DefaultMaxHeaderBytes = 64 << 10

// DefaultMaxFields is the field-line limit used when Parser.MaxFields is 0.
// Browsers send 10 to 30; Apache's default is 100.
const DefaultMaxFields = 128

// Where the parser stands. Each state scans a run of bytes in a tight loop
// and only stores its progress when the buffer runs out, which is what makes
// Parse resumable at any byte without rescanning.
const (
	stStart       uint8 = iota // before the request line; empty lines skipped
	stStartLF                  // after the CR of a leading empty line
	stMethod                   // in the method
	stTargetStart              // right after the SP that ends the method
	stTarget                   // in the request-target
	stPct1                     // after '%' in the target
	stPct2                     // after '%' and one hex digit
	stVersion                  // in "HTTP/x.y" CRLF; vi counts bytes seen
	stLineStart                // at the start of a field line or the final CRLF
	stName                     // in a field name
	stOWS                      // after the colon, before the value
	stValue                    // in a field value
	stValueLF                  // after the CR that ends a field line
	stFieldEnd                 // after a field line, before the next line's first byte
	stEndLF                    // after the CR of the empty line ending the head
	stDone                     // head complete; n is its length
	stFailed                   // rejected; err says why
)

// Parser is a resumable HTTP/1.1 request-head parser. The zero value is
// ready once Reset has been called; a Parser is reused across requests by
// calling Reset again. It is not safe for concurrent use.
type Parser struct {
	// MaxHeaderBytes bounds the head, counted from the first byte given to
	// Parse (leading empty lines included) through the final CRLF.
	// 0 (or less) means DefaultMaxHeaderBytes.
	MaxHeaderBytes int

	// MaxFields bounds the number of field lines; one more is
	// ErrHeaderTooLarge (431). It keeps a head of tiny fields from growing
	// Head.Fields to four times its own size. 0 (or less) means
	// DefaultMaxFields.
	MaxFields int

	h            *Head
	state        uint8
	vi           uint8 // bytes of the HTTP-version line seen, in stVersion
	pos          int   // next byte to scan; after an error, the offending byte
	mark         int   // start of the token, target, version or field name in progress
	colon        int   // end of the field name in progress
	vstart, vend int   // field value in progress, OWS trimmed

	hosts int  // Host fields seen
	hasCL bool // a Content-Length field was seen
	hasTE bool // a Transfer-Encoding field was seen
	n     int
	err   *Error
}

// Reset starts a new request whose results go to h: it clears h (keeping the
// backing array of h.Fields) and forgets everything about the last request.
// It must be called before the first Parse.
func (p *Parser) Reset(h *Head) {
	h.reset()
	*p = Parser{MaxHeaderBytes: p.MaxHeaderBytes, MaxFields: p.MaxFields, h: h}
}

func (p *Parser) limit() int {
	switch n := p.MaxHeaderBytes; {
	case n <= 0:
		return DefaultMaxHeaderBytes
	case n > 1<<31-1: // spans are int32
		return 1<<31 - 1
	default:
		return n
	}
}

func (p *Parser) maxFields() int {
	if p.MaxFields <= 0 {
		return DefaultMaxFields
	}
	return p.MaxFields
}

func span(start, end int) Span { return Span{int32(start), int32(end)} }

// Parse scans buf, which holds this request's bytes from its first byte; buf
// may grow between calls but the prefix already given must be unchanged. It
// resumes where the previous call stopped. It returns the length of the head,
// final CRLFCRLF included, once the head is complete; 0 and nil when it needs
// more bytes; or an *Error. After completion or an error, further calls
// return the same result. Bytes after the head (a body, a pipelined request)
// are not looked at.
func (p *Parser) Parse(buf []byte) (n int, err error) {
	switch p.state {
	case stDone:
		return p.n, nil
	case stFailed:
		return 0, p.err
	}
	lim := p.limit()
	end := min(len(buf), lim)
	h := p.h
	st, i := p.state, p.pos
	var e *Error

loop:
	for i < end {
		switch st {
		case stStart:
			c := buf[i]
			switch {
			case tokenTab[c]:
				p.mark = i
				st = stMethod
			case c == '\r':
				st = stStartLF
			case c == '\n':
				e = errBareLF
				break loop
			default:
				e = errMethod
				break loop
			}
			i++

		case stStartLF:
			if buf[i] != '\n' {
				e = errBareCR
				break loop
			}
			st = stStart
			i++

		case stMethod:
			i = skipToken(buf, i, end)
			if i == end {
				break loop
			}
			if buf[i] != ' ' {
				e = errMethod
				if buf[i] == '\n' {
					e = errBareLF
				}
				break loop
			}
			h.Method = span(p.mark, i)
			st = stTargetStart
			i++

		case stTargetStart:
			if buf[i] == ' ' {
				e = errRequestLine // two SPs: an empty target
				break loop
			}
			p.mark = i
			st = stTarget // not consumed: stTarget classifies it

		case stTarget:
			i = skipTarget(buf, i, end)
			if i == end {
				break loop
			}
			switch buf[i] {
			case ' ':
				h.Target = span(p.mark, i)
				p.mark = i + 1
				p.vi = 0
				st = stVersion
			case '%':
				st = stPct1
			case '\r', '\n':
				e = errRequestLine // no version: HTTP/0.9 style
				break loop
			default:
				e = errTarget
				break loop
			}
			i++

		case stPct1, stPct2:
			if hexTab[buf[i]] < 0 {
				e = errPercent
				break loop
			}
			if st == stPct1 {
				st = stPct2
			} else {
				st = stTarget
			}
			i++

		case stVersion:
			// The common case in one comparison; the byte-at-a-time path
			// below handles the rest and any split.
			if p.vi == 0 && end-i >= 10 && string(buf[i:i+10]) == "HTTP/1.1\r\n" {
				h.Minor = 1
				i += 10
				st = stLineStart
				continue
			}
			if e = p.version(buf, i); e != nil {
				break loop
			}
			i++
			if p.vi++; p.vi == 10 {
				st = stLineStart
			}

		case stLineStart:
			c := buf[i]
			switch {
			case tokenTab[c]:
				p.mark = i
				st = stName
			case c == '\r':
				st = stEndLF
			case c == ' ' || c == '\t':
				e = errObsFold
				break loop
			case c == '\n':
				e = errBareLF
				break loop
			default:
				e = errFieldName
				break loop
			}
			i++

		case stName:
			i = skipToken(buf, i, end)
			if i == end {
				break loop
			}
			switch buf[i] {
			case ':':
				p.colon = i
				st = stOWS
				i++
			case ' ', '\t':
				e = errSpaceColon
				break loop
			case '\r', '\n':
				e = errNoColon
				break loop
			default:
				e = errFieldName
				break loop
			}

		case stOWS:
			for i < end && isOWS(buf[i]) {
				i++
			}
			if i == end {
				break loop
			}
			p.vstart = i
			st = stValue

		case stValue:
			i = skipValue(buf, i, end)
			if i == end {
				break loop
			}
			switch buf[i] {
			case '\r':
				// Only trailing OWS is walked again; the leading OWS was
				// skipped, so this stops at vstart at the latest.
				j := i
				for j > p.vstart && isOWS(buf[j-1]) {
					j--
				}
				p.vend = j
				st = stValueLF
				i++
			case '\n':
				e = errBareLF
				break loop
			default:
				e = errFieldValue
				break loop
			}

		case stValueLF:
			if buf[i] != '\n' {
				e = errBareCR
				break loop
			}
			if len(h.Fields) >= p.maxFields() {
				e = errTooManyFields
				break loop
			}
			i++
			h.Fields = append(h.Fields, Field{Name: span(p.mark, p.colon), Value: span(p.vstart, p.vend)})
			st = stFieldEnd

		case stFieldEnd:
			// A field line ends only where the next line does not start
			// with whitespace; judge obs-fold before the field's meaning,
			// so the error names the real fault.
			if isOWS(buf[i]) {
				e = errObsFold
				break loop
			}
			if e = p.field(buf, h.Fields[len(h.Fields)-1]); e != nil {
				break loop
			}
			st = stLineStart // not consumed: stLineStart classifies it

		case stEndLF:
			if buf[i] != '\n' {
				e = errBareCR
				break loop
			}
			i++
			if e = p.finish(); e != nil {
				break loop
			}
			p.state, p.pos, p.n = stDone, i, i
			return i, nil
		}
	}

	if e == nil && end == lim {
		// The whole allowance is scanned and the head goes on.
		switch st {
		case stTargetStart, stTarget, stPct1, stPct2:
			e = ErrURITooLong
		default:
			e = ErrHeaderTooLarge
		}
	}
	if e != nil {
		p.state, p.err, p.pos = stFailed, e, i
		return 0, e
	}
	p.state, p.pos = st, i
	return 0, nil
}

// version checks byte i as byte p.vi of `HTTP/x.y CRLF`. The whole line is
// checked before the major version is judged, so that "HTTP/2.0" gets a 505
// but "HTTP/2.0x" a 400.
func (p *Parser) version(buf []byte, i int) *Error {
	c := buf[i]
	switch v := p.vi; {
	case v < 5:
		if c != "HTTP/"[v] {
			return errHTTPVersion
		}
	case v == 5 || v == 7:
		if c < '0' || c > '9' {
			return errHTTPVersion
		}
	case v == 6:
		if c != '.' {
			return errHTTPVersion
		}
	case v == 8:
		if c == '\n' {
			return errBareLF
		}
		if c != '\r' {
			return errHTTPVersion
		}
	default:
		if c != '\n' {
			return errBareCR
		}
		if buf[p.mark+5] != '1' {
			return ErrVersion
		}
		if buf[p.mark+7] != '0' {
			p.h.Minor = 1
		}
	}
	return nil
}
