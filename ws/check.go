package ws

import "github.com/gobwas/ws"

// check applies RFC 6455's rules for a client frame header to h, given the
// state of the message under assembly.
func (r *Reader) check(h ws.Header) error {
	switch {
	case h.OpCode.IsReserved():
		return errOpCode
	case h.Rsv != 0 && !r.rsvAllowed(h):
		// Only a negotiated extension gives a bit a meaning (§5.2).
		return r.rsvError(h)
	case !h.Masked:
		return errUnmasked // §5.1: a server MUST close on an unmasked frame
	case h.OpCode.IsControl():
		if !h.Fin {
			return errControlFragmented
		}
		if h.Length > ws.MaxControlFramePayloadSize {
			return errControlTooLong
		}
	case h.OpCode == ws.OpContinuation:
		if r.msgOp == 0 {
			return errContinuation
		}
	default: // Text or Binary starting a message
		if r.msgOp != 0 {
			return errInterleaved
		}
	}
	return nil
}
