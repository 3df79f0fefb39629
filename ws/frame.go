package ws

import (
	"encoding/binary"
	"slices"

	"github.com/gobwas/ws"
)

// FrameSize returns the size of an unmasked frame carrying payloadLen bytes:
// its header (2, 4 or 10 bytes) plus the payload. Callers use it to reserve
// queue space or a buffer before framing.
func FrameSize(payloadLen int) int {
	switch {
	case payloadLen <= 125:
		return 2 + payloadLen
	case payloadLen <= 0xffff:
		return 4 + payloadLen
	default:
		return 10 + payloadLen
	}
}

// AppendFrame appends one unmasked server frame (header and payload, one
// contiguous buffer) to dst and returns the extended slice. dst grows at most
// once. The length is always encoded in the shortest form.
//
// It does not check op against fin or the payload length: a control frame
// (ws.OpPing, ws.OpPong, ws.OpClose) must be final and carry at most 125
// bytes, and text must be UTF-8; that is the caller's contract with the peer.
func AppendFrame(dst []byte, op ws.OpCode, fin bool, payload []byte) []byte {
	dst = slices.Grow(dst, FrameSize(len(payload)))
	b0 := byte(op) & 0x0f
	if fin {
		b0 |= 0x80
	}
	switch n := len(payload); {
	case n <= 125:
		dst = append(dst, b0, byte(n))
	case n <= 0xffff:
		dst = append(dst, b0, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}
