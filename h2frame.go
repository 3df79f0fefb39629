package phttp

import "encoding/binary"

// HTTP/2 framing (RFC 9113 §4 and §6): the frame header, the types, flags,
// error codes and settings the loop reads and writes. x/net's Framer reads
// from an io.Reader and writes to an io.Writer, one frame per call; the
// loop has bytes in a buffer and appends to its queue, so it frames here.

const (
	h2HeaderLen    = 9
	h2MinFrame     = 1 << 14   // SETTINGS_MAX_FRAME_SIZE's floor, and our receive limit
	h2MaxFrame     = 1<<24 - 1 // its ceiling
	h2MaxWindow    = 1<<31 - 1
	h2InitWindow   = 65535
	h2Preface      = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	h2DefaultHPACK = 4096
)

type h2FrameType uint8

const (
	h2Data         h2FrameType = 0x0
	h2Headers      h2FrameType = 0x1
	h2Priority     h2FrameType = 0x2
	h2RSTStream    h2FrameType = 0x3
	h2Settings     h2FrameType = 0x4
	h2PushPromise  h2FrameType = 0x5
	h2Ping         h2FrameType = 0x6
	h2GoAway       h2FrameType = 0x7
	h2WindowUpdate h2FrameType = 0x8
	h2Continuation h2FrameType = 0x9
)

const (
	h2FlagEndStream  = 0x1
	h2FlagAck        = 0x1
	h2FlagEndHeaders = 0x4
	h2FlagPadded     = 0x8
	h2FlagPriority   = 0x20
)

// h2Code is an HTTP/2 error code (RFC 9113 §7).
type h2Code uint32

const (
	h2NoError          h2Code = 0x0
	h2ProtocolError    h2Code = 0x1
	h2InternalError    h2Code = 0x2
	h2FlowControlError h2Code = 0x3
	h2StreamClosed     h2Code = 0x5
	h2FrameSizeError   h2Code = 0x6
	h2RefusedStream    h2Code = 0x7
	h2Cancel           h2Code = 0x8
	h2CompressionError h2Code = 0x9
	h2EnhanceYourCalm  h2Code = 0xb
)

var h2CodeNames = map[h2Code]string{
	h2NoError: "NO_ERROR", h2ProtocolError: "PROTOCOL_ERROR", h2InternalError: "INTERNAL_ERROR",
	h2FlowControlError: "FLOW_CONTROL_ERROR", h2StreamClosed: "STREAM_CLOSED", h2FrameSizeError: "FRAME_SIZE_ERROR",
	h2RefusedStream: "REFUSED_STREAM", h2Cancel: "CANCEL", h2CompressionError: "COMPRESSION_ERROR",
	h2EnhanceYourCalm: "ENHANCE_YOUR_CALM",
}

func (c h2Code) String() string {
	if s, ok := h2CodeNames[c]; ok {
		return s
	}
	return "UNKNOWN"
}

// Settings identifiers (RFC 9113 §6.5.2).
const (
	h2SetHeaderTableSize      = 0x1
	h2SetEnablePush           = 0x2
	h2SetMaxConcurrentStreams = 0x3
	h2SetInitialWindowSize    = 0x4
	h2SetMaxFrameSize         = 0x5
	h2SetMaxHeaderListSize    = 0x6
)

// h2Frame is a parsed frame header and its payload (a slice of the input).
type h2Frame struct {
	typ     h2FrameType
	flags   uint8
	stream  uint32
	payload []byte
}

func (f *h2Frame) has(flag uint8) bool { return f.flags&flag != 0 }

// parseH2Frame reads one frame from data: ok is false while the frame is
// incomplete; size is its length field (known once 9 bytes are in), for
// the caller's FRAME_SIZE check before the payload is waited for.
func parseH2Frame(data []byte) (f h2Frame, size int, ok bool) {
	if len(data) < h2HeaderLen {
		return f, -1, false
	}
	size = int(data[0])<<16 | int(data[1])<<8 | int(data[2])
	if len(data) < h2HeaderLen+size {
		return f, size, false
	}
	f.typ = h2FrameType(data[3])
	f.flags = data[4]
	f.stream = binary.BigEndian.Uint32(data[5:9]) & (1<<31 - 1) // the reserved bit is ignored
	f.payload = data[h2HeaderLen : h2HeaderLen+size]
	return f, size, true
}

// appendH2Header appends a frame header.
func appendH2Header(dst []byte, size int, typ h2FrameType, flags uint8, stream uint32) []byte {
	return append(dst, byte(size>>16), byte(size>>8), byte(size), byte(typ), flags,
		byte(stream>>24)&0x7f, byte(stream>>16), byte(stream>>8), byte(stream))
}

func appendUint32(dst []byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(dst, v)
}

// unpad strips a padded frame's padding: ok is false when the pad length
// is not less than the payload (a PROTOCOL_ERROR).
func unpad(f *h2Frame) (p []byte, ok bool) {
	p = f.payload
	if !f.has(h2FlagPadded) {
		return p, true
	}
	if len(p) < 1 {
		return nil, false
	}
	pad := int(p[0])
	if pad >= len(p) {
		return nil, false
	}
	return p[1 : len(p)-pad], true
}
