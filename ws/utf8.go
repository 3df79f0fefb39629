package ws

import "encoding/binary"

// utf8State is an incremental UTF-8 validator: a DFA whose state survives
// between calls, so a text message is checked chunk by chunk as it arrives
// (across fragments and across reads) and never re-scanned. The zero value
// is ready at a code point boundary.
//
// It rejects at the first byte that no valid continuation could follow,
// which is what RFC 6455 §8.1 asks for ("fail fast"); an incomplete sequence
// is only an error at the end of the message (see complete).
type utf8State uint8

// DFA states. Each "need" state is named after what the next byte must be.
const (
	utf8Accept  utf8State = iota // at a code point boundary
	utf8Reject                   // invalid; sticky
	utf8Need1                    // one more 80..BF
	utf8Need2                    // two more 80..BF
	utf8Need3                    // three more 80..BF
	utf8AfterE0                  // A0..BF, then one more (no overlong 3-byte forms)
	utf8AfterED                  // 80..9F, then one more (no surrogates)
	utf8AfterF0                  // 90..BF, then two more (no overlong 4-byte forms)
	utf8AfterF4                  // 80..8F, then two more (nothing above U+10FFFF)
	utf8States
)

// utf8Table[state][byte] is the next state. It is built from the rules of
// RFC 3629 §4 at start-up rather than written out as 2304 literal numbers,
// so that it can be read and checked against the RFC.
var utf8Table = buildUTF8Table()

func buildUTF8Table() (t [utf8States][256]utf8State) {
	for s := range t {
		for b := range t[s] {
			t[s][b] = utf8Reject
		}
	}
	span := func(s utf8State, lo, hi byte, next utf8State) {
		for b := int(lo); b <= int(hi); b++ {
			t[s][b] = next
		}
	}
	span(utf8Accept, 0x00, 0x7f, utf8Accept)
	span(utf8Accept, 0xc2, 0xdf, utf8Need1)
	span(utf8Accept, 0xe0, 0xe0, utf8AfterE0)
	span(utf8Accept, 0xe1, 0xec, utf8Need2)
	span(utf8Accept, 0xed, 0xed, utf8AfterED)
	span(utf8Accept, 0xee, 0xef, utf8Need2)
	span(utf8Accept, 0xf0, 0xf0, utf8AfterF0)
	span(utf8Accept, 0xf1, 0xf3, utf8Need3)
	span(utf8Accept, 0xf4, 0xf4, utf8AfterF4)
	span(utf8Need1, 0x80, 0xbf, utf8Accept)
	span(utf8Need2, 0x80, 0xbf, utf8Need1)
	span(utf8Need3, 0x80, 0xbf, utf8Need2)
	span(utf8AfterE0, 0xa0, 0xbf, utf8Need1)
	span(utf8AfterED, 0x80, 0x9f, utf8Need1)
	span(utf8AfterF0, 0x90, 0xbf, utf8Need2)
	span(utf8AfterF4, 0x80, 0x8f, utf8Need2)
	return t
}

// write feeds p to the validator and reports whether everything so far is
// valid or a valid prefix. After false the state stays utf8Reject.
func (s *utf8State) write(p []byte) bool {
	st := *s
	for i := 0; i < len(p); {
		if st == utf8Accept {
			// Text is mostly ASCII: skip eight such bytes per step while at
			// a boundary, where ASCII cannot change the state.
			for i+8 <= len(p) && binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 == 0 {
				i += 8
			}
			if i == len(p) {
				break
			}
		}
		st = utf8Table[st][p[i]]
		if st == utf8Reject {
			*s = st
			return false
		}
		i++
	}
	*s = st
	return true
}

// complete reports whether the input so far ended on a code point boundary:
// a text message is valid only if this holds at its end.
func (s utf8State) complete() bool { return s == utf8Accept }
