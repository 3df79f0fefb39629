package ws

import (
	"strconv"

	"github.com/gobwas/ws"
)

// Kind says what an Event carries.
type Kind uint8

// The kinds of Event.
const (
	None   Kind = iota // no event: the Reader needs more bytes
	Text               // a whole text message, checked to be UTF-8
	Binary             // a whole binary message
	Ping               // a ping; the caller answers with a pong carrying its payload
	Pong               // a pong (unsolicited ones are allowed and mean nothing)
	Close              // the peer's close frame; nothing follows it
)

// kindNames is indexed by Kind; String falls back to a number for the rest.
var kindNames = [...]string{"None", "Text", "Binary", "Ping", "Pong", "Close"}

// String returns the Kind's name, for logs and test failures.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one thing the peer sent: a whole data message or a control frame.
type Event struct {
	Kind Kind

	// Payload is the whole message for Text and Binary, the frame's payload
	// for Ping and Pong, and the raw close payload (code and reason, or
	// empty) for Close. It aliases either the input given to Read or the
	// Reader's own buffer, and is valid only until the next Read or Reset:
	// copy it to keep it.
	Payload []byte

	// Code is, for Close, the peer's status code: ws.StatusNoStatusRcvd
	// (1005) when the close frame had no body. Zero for other kinds.
	Code ws.StatusCode

	// Reason is, for Close, the peer's reason (valid UTF-8, possibly empty).
	// It is a copy and stays valid.
	Reason string
}
