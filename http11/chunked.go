package http11

// DefaultMaxTrailerBytes is the trailer limit used when
// ChunkedDecoder.MaxTrailerBytes is 0.
const DefaultMaxTrailerBytes = 64 << 10

// MaxChunkLineBytes bounds a chunk-size line, extensions and CRLF included.
// Extensions carry nothing we use, so a long one is only a way to make us
// read without progress.
const MaxChunkLineBytes = 4 << 10

// Decoder states, in the order the body presents them. States below
// dcTrailer belong to the chunk-size line.
const (
	dcSize0        uint8 = iota // start of a chunk-size line: a HEXDIG is due
	dcSize                      // in the chunk size
	dcBWS                       // whitespace after the size or an ext; only ';' may follow
	dcExtName0                  // after ';' (and BWS): an ext name is due
	dcExtName                   // in an ext name
	dcExtAfterName              // whitespace after an ext name
	dcExtVal0                   // after '=' (and BWS): a token or quoted-string is due
	dcExtToken                  // in a token ext value
	dcExtQuoted                 // in a quoted-string ext value
	dcExtEscape                 // after a backslash in a quoted-string
	dcExtEnd                    // after the closing quote
	dcSizeLF                    // after the CR ending the chunk-size line
	dcTrailer                   // start of a trailer line or of the final CRLF
	dcTName                     // in a trailer field name
	dcTValue                    // in a trailer field value
	dcTValueLF                  // after the CR ending a trailer line
	dcEndLF                     // after the CR of the final empty line
	dcData                      // in chunk data; size is what is left
	dcDataCR                    // chunk data done: CR is due
	dcDataLF                    // LF is due
	dcDone                      // the body is complete
	dcFailed                    // rejected; err says why
)

// ChunkedDecoder decodes a chunked request body (RFC 9112 §7.1) without
// copying it: payload comes back as sub-slices of the input. Chunk
// extensions are checked against the grammar and ignored; trailer fields are
// checked like header fields, bounded, and discarded. The zero value is
// ready to use; Reset readies it for another body. It is not safe for
// concurrent use.
type ChunkedDecoder struct {
	// MaxTrailerBytes bounds the trailer section, final CRLF included; more
	// is ErrHeaderTooLarge (431), like an oversized head. 0 (or less) means
	// DefaultMaxTrailerBytes.
	MaxTrailerBytes int

	state   uint8
	digits  uint8  // significant hex digits of the size so far
	size    uint64 // the size being read, then the data left in the chunk
	line    int    // bytes of the current chunk-size line
	trailer int    // bytes of the trailer section
	err     *Error
}

// Reset makes d ready for a new body, keeping MaxTrailerBytes.
func (d *ChunkedDecoder) Reset() {
	*d = ChunkedDecoder{MaxTrailerBytes: d.MaxTrailerBytes}
}

// Done reports whether the whole body, trailer section included, has been
// consumed.
func (d *ChunkedDecoder) Done() bool { return d.state == dcDone }

// Decode consumes framing bytes from the start of in until it reaches
// payload, the end of the body, or the end of in. It returns how many bytes
// it consumed and, when it reached payload, data: the payload sub-slice of
// in that ends at in[consumed-1]. done is true once the last chunk and the
// trailer section have been consumed; bytes after them are not looked at.
// Call again with in[consumed:] while consumed > 0; consumed == 0 without
// data or done means more bytes are needed. After an error, or once done,
// every call returns the same.
func (d *ChunkedDecoder) Decode(in []byte) (consumed int, data []byte, done bool, err error) {
	i := 0
	for i < len(in) {
		switch d.state {
		case dcData:
			n := len(in) - i
			if uint64(n) > d.size {
				n = int(d.size)
			}
			if d.size -= uint64(n); d.size == 0 {
				d.state = dcDataCR
			}
			return i + n, in[i : i+n : i+n], false, nil
		case dcDataCR, dcDataLF:
			want := byte('\r')
			if d.state == dcDataLF {
				want = '\n'
			}
			if in[i] != want {
				return d.fail(i, errChunkCRLF)
			}
			if d.state == dcDataCR {
				d.state = dcDataLF
			} else {
				d.state, d.size, d.digits, d.line = dcSize0, 0, 0, 0
			}
			i++
		case dcDone:
			return i, nil, true, nil
		case dcFailed:
			return i, nil, false, d.err
		default:
			if d.state < dcTrailer {
				if e := d.sizeLine(in[i]); e != nil {
					return d.fail(i, e)
				}
			} else if e := d.trailerByte(in[i]); e != nil {
				return d.fail(i, e)
			}
			i++
		}
	}
	switch d.state {
	case dcDone:
		return i, nil, true, nil
	case dcFailed:
		return i, nil, false, d.err
	}
	return i, nil, false, nil
}

func (d *ChunkedDecoder) fail(i int, e *Error) (int, []byte, bool, error) {
	d.state, d.err = dcFailed, e
	return i, nil, false, e
}

// sizeLine steps the chunk-size line by one byte:
//
//	chunk-size [ chunk-ext ] CRLF
//	chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
//
// It is byte at a time because these lines are short and rare next to the
// data they announce.
func (d *ChunkedDecoder) sizeLine(c byte) *Error {
	if d.line++; d.line > MaxChunkLineBytes {
		return errChunkLine
	}
	if c == '\n' && d.state != dcSizeLF {
		return errBareLF
	}
	switch d.state {
	case dcSize0, dcSize:
		if v := hexTab[c]; v >= 0 {
			if d.size != 0 || v != 0 {
				// Leading zeros are not significant; 15 digits keep the
				// size below 2^60, far from overflow.
				if d.digits++; d.digits > 15 {
					return errChunkSizeLarge
				}
			}
			d.size = d.size<<4 | uint64(v)
			d.state = dcSize
			return nil
		}
		if d.state == dcSize0 {
			return errChunkSize // no digits, a sign, "0x", leading space
		}
		return d.afterValue(c, errChunkSize)
	case dcBWS:
		switch {
		case isOWS(c):
		case c == ';':
			d.state = dcExtName0
		default:
			return errChunkExt
		}
	case dcExtName0:
		switch {
		case isOWS(c):
		case tokenTab[c]:
			d.state = dcExtName
		default:
			return errChunkExt
		}
	case dcExtName, dcExtAfterName:
		switch {
		case tokenTab[c] && d.state == dcExtName:
		case c == '=':
			d.state = dcExtVal0
		case isOWS(c):
			d.state = dcExtAfterName
		case c == ';':
			d.state = dcExtName0
		case c == '\r' && d.state == dcExtName:
			d.state = dcSizeLF
		default:
			return errChunkExt
		}
	case dcExtVal0:
		switch {
		case isOWS(c):
		case c == '"':
			d.state = dcExtQuoted
		case tokenTab[c]:
			d.state = dcExtToken
		default:
			return errChunkExt
		}
	case dcExtToken:
		if tokenTab[c] {
			return nil
		}
		return d.afterValue(c, errChunkExt)
	case dcExtQuoted:
		switch {
		case c == '"':
			d.state = dcExtEnd
		case c == '\\':
			d.state = dcExtEscape
		case !qdtextTab[c]:
			return errChunkExt
		}
	case dcExtEscape:
		if c != '\t' && c != ' ' && (c < 0x21 || c == 0x7F) {
			return errChunkExt
		}
		d.state = dcExtQuoted
	case dcExtEnd:
		return d.afterValue(c, errChunkExt)
	case dcSizeLF:
		if c != '\n' {
			return errBareCR
		}
		if d.size == 0 {
			d.state = dcTrailer // the last chunk
		} else {
			d.state = dcData
		}
	}
	return nil
}

// afterValue handles what may follow a chunk size or an extension value.
// Whitespace is only allowed when a ';' follows it (BWS before an
// extension), so "5 \r\n" is refused: parsers differ on it.
func (d *ChunkedDecoder) afterValue(c byte, e *Error) *Error {
	switch {
	case c == '\r':
		d.state = dcSizeLF
	case c == ';':
		d.state = dcExtName0
	case isOWS(c):
		d.state = dcBWS
	default:
		return e
	}
	return nil
}

// trailerByte steps the trailer section by one byte, with the header rules:
// token names, no whitespace before the colon, no obs-fold, no control bytes.
func (d *ChunkedDecoder) trailerByte(c byte) *Error {
	lim := d.MaxTrailerBytes
	if lim <= 0 {
		lim = DefaultMaxTrailerBytes
	}
	if d.trailer++; d.trailer > lim {
		return errTrailerTooLarge
	}
	switch d.state {
	case dcTrailer:
		switch {
		case tokenTab[c]:
			d.state = dcTName
		case c == '\r':
			d.state = dcEndLF
		case isOWS(c):
			return errObsFold
		case c == '\n':
			return errBareLF
		default:
			return errTrailer
		}
	case dcTName:
		switch {
		case tokenTab[c]:
		case c == ':':
			d.state = dcTValue
		default:
			return errTrailer
		}
	case dcTValue:
		switch {
		case valueTab[c]:
		case c == '\r':
			d.state = dcTValueLF
		case c == '\n':
			return errBareLF
		default:
			return errTrailer
		}
	case dcTValueLF, dcEndLF:
		if c != '\n' {
			return errBareCR
		}
		if d.state == dcEndLF {
			d.state = dcDone
		} else {
			d.state = dcTrailer
		}
	}
	return nil
}

// Pending returns how many data bytes the chunk being read still announces
// (0 outside chunk data), so that a caller with a body limit can refuse a
// chunk-size line promising too much before the data arrives.
func (d *ChunkedDecoder) Pending() uint64 {
	if d.state == dcData {
		return d.size
	}
	return 0
}
