package phttp

import "fmt"

// ConnID names a connection for the server's whole life. It is never a file
// descriptor and never reused, so a send to a connection that has gone (and
// whose descriptor now serves someone else) fails with ErrClosed.
type ConnID uint64

// RequestType says what a Request carries.
type RequestType uint8

const (
	// HTTP is an HTTP request (or, with StreamBodies, a piece of its body).
	HTTP RequestType = iota
	// WebSocketText is a whole text message, checked as UTF-8.
	WebSocketText
	// WebSocketBinary is a whole binary message.
	WebSocketBinary
	// WebSocketClose reports that a WebSocket connection ended; the
	// handler sees it once per connection.
	WebSocketClose
	// Raw carries bytes received on a connection upgraded with
	// Response.AcceptUpgrade, as they came (Body); the connection's last
	// Raw event has BodyDone set and no Body: the peer finished sending,
	// or the connection was lost.
	Raw
)

func (t RequestType) String() string {
	switch t {
	case HTTP:
		return "HTTP"
	case WebSocketText:
		return "WebSocketText"
	case WebSocketBinary:
		return "WebSocketBinary"
	case WebSocketClose:
		return "WebSocketClose"
	case Raw:
		return "Raw"
	}
	return fmt.Sprintf("RequestType(%d)", uint8(t))
}

// CloseCode is a WebSocket close status code (RFC 6455 §7.4).
type CloseCode uint16

// Close codes from RFC 6455 §7.4.1.
const (
	CloseNormal          CloseCode = 1000
	CloseGoingAway       CloseCode = 1001
	CloseProtocolError   CloseCode = 1002
	CloseUnsupportedData CloseCode = 1003
	CloseNoStatus        CloseCode = 1005 // received only: the peer's close frame had no code
	CloseAbnormal        CloseCode = 1006 // never sent: the connection was lost without a close frame
	CloseInvalidData     CloseCode = 1007
	ClosePolicyViolation CloseCode = 1008
	CloseMessageTooBig   CloseCode = 1009
	CloseInternalError   CloseCode = 1011
)
