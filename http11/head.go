package http11

// Span is the byte range [Start, End) of the buffer given to Parse. Offsets
// rather than slices keep a Head free of pointers into a buffer the caller
// may grow or move, and 32 bits are plenty under MaxHeaderBytes.
type Span struct{ Start, End int32 }

// Len returns the number of bytes in s.
func (s Span) Len() int { return int(s.End - s.Start) }

// Bytes returns the bytes of buf that s covers. Its capacity is cut at End so
// that an append to the result cannot overwrite the rest of buf.
func (s Span) Bytes(buf []byte) []byte { return buf[s.Start:s.End:s.End] }

// Field is one header field line. Value has leading and trailing OWS
// trimmed; Name is as received (compare it case-insensitively).
type Field struct{ Name, Value Span }

// Head is a parsed request head. Spans index the buffer passed to
// [Parser.Parse]. Only the fields that decide how the message is framed are
// interpreted; the rest are in Fields, in order, unmodified.
type Head struct {
	Method Span // a token, case-sensitive
	Target Span // request-target as received, in any of its four forms
	Minor  int  // HTTP/1.Minor: 0 or 1 (1.2–1.9 are reported as 1)

	// Fields lists every field line. Parse appends to it and Reset truncates
	// it, so a Head reused across requests stops allocating once its backing
	// array is large enough.
	Fields []Field

	ContentLength int64 // -1 when absent
	Chunked       bool  // Transfer-Encoding is exactly chunked

	Host    Span // the Host field's value, valid when HasHost
	HasHost bool

	// Tokens found in any Connection field, case-insensitively.
	Close, KeepAlive, Upgrade bool

	// Expect100 is set by "Expect: 100-continue" on HTTP/1.1; RFC 9110
	// §10.1.1 says to ignore it on HTTP/1.0.
	Expect100 bool
}

func (h *Head) reset() {
	*h = Head{Fields: h.Fields[:0], ContentLength: -1}
}
