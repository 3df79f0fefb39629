package ws

import (
	"strconv"

	"github.com/gobwas/ws"
)

// ProtocolError is returned when the peer broke RFC 6455. Code is what the
// server must close the connection with (1002, 1007 or 1009); Reason is a
// short explanation that fits in a close frame and may be sent as its reason.
//
// Errors are returned as ProtocolError values (not pointers): use errors.As
// with a ProtocolError target, or compare Code.
type ProtocolError struct {
	Code   ws.StatusCode
	Reason string
}

// Error implements error.
func (e ProtocolError) Error() string {
	return "websocket: protocol error " + strconv.Itoa(int(e.Code)) + ": " + e.Reason
}

// The errors a Reader returns. They are boxed into error once, here, so that
// returning one never allocates.
var (
	errUnmasked          error = ProtocolError{ws.StatusProtocolError, "client frame not masked"}
	errRsv               error = ProtocolError{ws.StatusProtocolError, "reserved bits set without an extension"}
	errOpCode            error = ProtocolError{ws.StatusProtocolError, "reserved opcode"}
	errControlFragmented error = ProtocolError{ws.StatusProtocolError, "fragmented control frame"}
	errControlTooLong    error = ProtocolError{ws.StatusProtocolError, "control frame payload over 125 bytes"}
	errLengthMSB         error = ProtocolError{ws.StatusProtocolError, "64-bit payload length with the top bit set"}
	errContinuation      error = ProtocolError{ws.StatusProtocolError, "continuation frame without a message"}
	errInterleaved       error = ProtocolError{ws.StatusProtocolError, "new message before the previous one ended"}
	errCloseShort        error = ProtocolError{ws.StatusProtocolError, "close payload of 1 byte"}
	errCloseCode         error = ProtocolError{ws.StatusProtocolError, "invalid close code"}
	errCloseReason       error = ProtocolError{ws.StatusInvalidFramePayloadData, "close reason not UTF-8"}
	errInvalidUTF8       error = ProtocolError{ws.StatusInvalidFramePayloadData, "text message not UTF-8"}
	errTooBig            error = ProtocolError{ws.StatusMessageTooBig, "message too big"}
	errTooManyFragments  error = ProtocolError{ws.StatusMessageTooBig, "message in too many fragments"}
)
