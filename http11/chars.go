package http11

// Byte classes as 256-entry tables: one load per byte in the hot loops, and
// no branch on ranges. Bytes 0x80–0xFF are false unless stated, which is what
// keeps non-ASCII out of tokens and request-targets.

const (
	// tchar, RFC 9110 §5.6.2, besides ALPHA and DIGIT.
	tcharPunct = "!#$%&'*+-.^_`|~"
	// sub-delims, RFC 3986 §2.2.
	subDelims = "!$&'()*+,;="
	// unreserved, RFC 3986 §2.3, besides ALPHA and DIGIT.
	unreservedPunct = "-._~"
)

var (
	// tokenTab: method, field names, transfer codings, chunk-ext names.
	tokenTab = makeTab(func(c byte) bool {
		return isAlnum(c) || in(c, tcharPunct)
	})

	// targetTab: request-target bytes that need no further look. '%' is
	// excluded so the scan stops on it and checks the two hex digits.
	targetTab = makeTab(func(c byte) bool {
		return c >= 0x21 && c <= 0x7E && c != '%'
	})

	// valueTab: field-content bytes plus the SP and HTAB allowed between
	// them (RFC 9110 §5.5). CR, LF, NUL, DEL and the other controls are not.
	valueTab = makeTab(func(c byte) bool {
		return c == ' ' || c == '\t' || (c >= 0x21 && c <= 0x7E) || c >= 0x80
	})

	// regNameTab: reg-name and IPv4address bytes, '%' excluded (checked as
	// pct-encoded).
	regNameTab = makeTab(func(c byte) bool {
		return isAlnum(c) || in(c, unreservedPunct) || in(c, subDelims)
	})

	// ipLiteralTab: what may sit between '[' and ']': IPv6address and
	// IPvFuture bytes.
	ipLiteralTab = makeTab(func(c byte) bool {
		return isAlnum(c) || in(c, unreservedPunct) || in(c, subDelims) || c == ':'
	})

	// qdtextTab: quoted-string content in chunk extensions, RFC 9110 §5.6.4
	// ('"' and '\\' are handled by the caller).
	qdtextTab = makeTab(func(c byte) bool {
		return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) ||
			(c >= 0x5D && c <= 0x7E) || c >= 0x80
	})

	// hexTab maps a HEXDIG to its value and anything else to -1.
	hexTab = func() (t [256]int8) {
		for i := range t {
			t[i] = -1
		}
		for c := '0'; c <= '9'; c++ {
			t[c] = int8(c - '0')
		}
		for c := 'a'; c <= 'f'; c++ {
			t[c] = int8(c - 'a' + 10)
			t[c-'a'+'A'] = int8(c - 'a' + 10)
		}
		return t
	}()
)

func makeTab(f func(byte) bool) (t [256]bool) {
	for i := range t {
		t[i] = f(byte(i))
	}
	return t
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func in(c byte, set string) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

// equalFold reports whether b equals lower, ignoring ASCII case; lower must
// already be lower-case. Field names and the few tokens we look for are
// ASCII, so the Unicode rules of bytes.EqualFold are not wanted.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// nextElem splits a comma-separated list (RFC 9110 §5.6.1) one element at a
// time: it returns the element starting at i with OWS trimmed (possibly
// empty) and the index just past its comma, or -1 after the last element.
// An empty value is one empty element, and a trailing comma yields a final
// empty one, so callers that care can see them.
func nextElem(v []byte, i int) (elem []byte, next int) {
	for i < len(v) && isOWS(v[i]) {
		i++
	}
	start := i
	for i < len(v) && v[i] != ',' {
		i++
	}
	end := i
	for end > start && isOWS(v[end-1]) {
		end--
	}
	if i == len(v) {
		return v[start:end], -1
	}
	return v[start:end], i + 1
}

func allToken(b []byte) bool {
	for _, c := range b {
		if !tokenTab[c] {
			return false
		}
	}
	return len(b) > 0
}
