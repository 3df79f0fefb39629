package http11

import "encoding/binary"

// Field values and request-targets are the long runs in a head (a
// User-Agent, a Cookie, a query string). Checking them eight bytes at a
// time with SWAR arithmetic, instead of one table load per byte, is most of
// the parser's speed. Each check is exact: it is true only if all eight
// bytes are in the class, so anything else falls back to the table loop,
// which decides.

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasLess reports whether some byte of x is below n (n <= 128). The lowest
// such byte always sets its high bit: no borrow reaches it from below.
func hasLess(x uint64, n byte) bool { return (x-ones*uint64(n))&^x&highs != 0 }

// hasByte reports whether some byte of x equals c.
func hasByte(x uint64, c byte) bool {
	y := x ^ ones*uint64(c)
	return (y-ones)&^y&highs != 0
}

// skipValue returns the first index from i, at most end, whose byte is not
// in valueTab.
func skipValue(buf []byte, i, end int) int {
	for end-i >= 8 {
		x := binary.LittleEndian.Uint64(buf[i:])
		// SP..0x7E and obs-text; HTAB is left to the table loop.
		if hasLess(x, 0x20) || hasByte(x, 0x7F) {
			break
		}
		i += 8
	}
	for i < end && valueTab[buf[i]] {
		i++
	}
	return i
}

// skipTarget returns the first index from i, at most end, whose byte is
// not in targetTab.
func skipTarget(buf []byte, i, end int) int {
	for end-i >= 8 {
		x := binary.LittleEndian.Uint64(buf[i:])
		if hasLess(x, 0x21) || x&highs != 0 || hasByte(x, 0x7F) || hasByte(x, '%') {
			break
		}
		i += 8
	}
	for i < end && targetTab[buf[i]] {
		i++
	}
	return i
}

// skipToken returns the first index from i, at most end, whose byte is not
// a tchar. Field names are short and tchar has no arithmetic shape, so this
// only unrolls the table loop by four.
func skipToken(buf []byte, i, end int) int {
	for end-i >= 4 {
		b := buf[i : i+4 : i+4]
		if !tokenTab[b[0]] || !tokenTab[b[1]] || !tokenTab[b[2]] || !tokenTab[b[3]] {
			break
		}
		i += 4
	}
	for i < end && tokenTab[buf[i]] {
		i++
	}
	return i
}
