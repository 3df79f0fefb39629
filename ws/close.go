package ws

import (
	"encoding/binary"
	"slices"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// maxCloseReason is the longest reason that fits in a close frame: a control
// payload is at most 125 bytes and the code takes 2.
const maxCloseReason = ws.MaxControlFramePayloadSize - 2

// validReceiveCode reports whether a peer may put code in its close frame
// (RFC 6455 §7.4, the IANA registry, and what Autobahn's case 7.7/7.9 expect).
//
// Accepted: 1000–1003, 1007–1014, 3000–4999. Rejected: below 1000 (unused),
// 1004 (reserved), 1005, 1006 and 1015 (must never be on the wire), 1016–2999
// (reserved for future RFCs: we cannot know their meaning, and the RFC says
// an unknown code in that range is a protocol error), 5000 and above
// (undefined). 1012–1014 (service restart, try again later, bad gateway) are
// registered with IANA, so a peer that sends them is not at fault.
func validReceiveCode(code ws.StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code.IsApplicationSpec() || code.IsPrivateSpec(): // 3000–4999
		return true
	}
	return false
}

// ValidSendCode reports whether a server may originate code in its own
// close frame:
//
//	1000 normal closure          1008 policy violation
//	1001 going away              1009 message too big
//	1002 protocol error          1011 internal error
//	1003 unsupported data        1012 service restart
//	1007 invalid payload data    1013 try again later
//	                             1014 bad gateway
//	3000–4999 registered and private codes
//
// 1010 (mandatory extension) is left out: RFC 6455 §7.4.1 defines it as the
// client's complaint that the server did not negotiate an extension, so a
// server never has a reason to send it. 1004, 1005, 1006 and 1015 must never
// appear on the wire, and 1016–2999 have no meaning yet.
//
// This is for codes the server chooses. Echoing the peer's code in reply to
// its close (RFC 6455 §5.5.1) is fine for any code a Reader accepted,
// including 1010.
func ValidSendCode(code ws.StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014 && code != ws.StatusMandatoryExt:
		return true
	case code.IsApplicationSpec() || code.IsPrivateSpec():
		return true
	}
	return false
}

// parseClose checks a close frame's payload and splits it into code and
// reason. An empty payload means "no status": 1005, as RFC 6455 §7.1.5 says.
// The reason is copied into a string because the payload is only borrowed;
// close arrives once per connection, so the allocation does not matter.
func parseClose(p []byte) (code ws.StatusCode, reason string, err error) {
	switch {
	case len(p) == 0:
		return ws.StatusNoStatusRcvd, "", nil
	case len(p) == 1:
		return 0, "", errCloseShort
	}
	code = ws.StatusCode(binary.BigEndian.Uint16(p))
	if !validReceiveCode(code) {
		return 0, "", errCloseCode
	}
	if !utf8.Valid(p[2:]) {
		return 0, "", errCloseReason
	}
	return code, string(p[2:]), nil
}

// AppendClose appends a server close frame with code and reason to dst and
// returns the extended slice.
//
// Code 0 or 1005 (ws.StatusNoStatusRcvd) appends a close frame with an empty
// body and no reason: the right echo for a peer that sent no code, since 1005
// itself must never be sent. Any other code is written as given, so check
// codes you originate with ValidSendCode. The reason is cut to its longest
// valid UTF-8 prefix of at most 123 bytes, on a rune boundary, so the frame
// is always a valid control frame.
func AppendClose(dst []byte, code ws.StatusCode, reason string) []byte {
	if code == 0 || code == ws.StatusNoStatusRcvd {
		return AppendFrame(dst, ws.OpClose, true, nil)
	}
	reason = fitReason(reason)
	n := 2 + len(reason)
	dst = slices.Grow(dst, 2+n) // one growth for the whole frame
	dst = append(dst, 0x80|byte(ws.OpClose), byte(n), byte(code>>8), byte(code))
	return append(dst, reason...)
}

// fitReason returns the longest prefix of s that is valid UTF-8, ends on a
// rune boundary and fits in a close frame. A peer fails the connection on a
// reason that is not UTF-8 (RFC 6455 §8.1), so a bad suffix is dropped rather
// than sent.
func fitReason(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		if i+size > maxCloseReason {
			break
		}
		i += size
	}
	return s[:i]
}
