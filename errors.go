package phttp

import "errors"

var (
	// ErrClosed is returned by sends, Flush, Send and Post when the
	// connection (or the server) is gone. Bytes it did not accept were
	// not queued.
	ErrClosed = errors.New("phttp: connection closed")
	// ErrQueueFull is returned by TrySendWebSocket, and by a Response's
	// SendWebSocket used after its handler call, when the connection's
	// outbound queue has no room for the frame.
	ErrQueueFull = errors.New("phttp: send queue full")
	// ErrNotListening is returned by Run and Step when neither Listen nor
	// Serve was called first.
	ErrNotListening = errors.New("phttp: server has no listener")
	// ErrServerStopped is returned by Listen, Serve, Run and Step after
	// Stop or Shutdown, and by Shutdown when Stop came first.
	ErrServerStopped = errors.New("phttp: server stopped")
	// ErrNotWebSocket is returned by WebSocket sends to a connection that
	// is not (or not yet) an upgraded WebSocket.
	ErrNotWebSocket = errors.New("phttp: not a WebSocket connection")
	// ErrNotUpgraded is returned by raw sends to a connection that was not
	// (or not yet) upgraded with AcceptUpgrade.
	ErrNotUpgraded = errors.New("phttp: not a connection upgraded with AcceptUpgrade")
	// ErrBadMessageType is returned by WebSocket sends given a type other
	// than WebSocketText or WebSocketBinary.
	ErrBadMessageType = errors.New("phttp: message type must be WebSocketText or WebSocketBinary")
	// ErrInvalidUTF8 is returned by WebSocket sends of WebSocketText that is
	// not valid UTF-8: a browser would fail the whole connection on it.
	ErrInvalidUTF8 = errors.New("phttp: WebSocket text is not valid UTF-8")
	// ErrBadCloseCode is returned by CloseWebSocket for a code a server may
	// not send (1005, 1006, 1015 and codes outside 1000–4999).
	ErrBadCloseCode = errors.New("phttp: invalid WebSocket close code")
	// ErrResponseSent is returned by Flush and Send once the response was
	// finished, and by Write-side calls that come too late.
	ErrResponseSent = errors.New("phttp: response already sent")
	// ErrNotDetached is returned by Flush and Send called on a response
	// the handler did not detach: the loop sends it when the handler
	// returns.
	ErrNotDetached = errors.New("phttp: response is not detached")
	// ErrBodyTooLarge is wrapped by the error a BodyReader returns once
	// the body goes past MaxBodyBytes (the client is answered 413, or the
	// connection closed once an answer has started).
	ErrBodyTooLarge = errors.New("phttp: request body over MaxBodyBytes")
	// ErrAnswerSent is the cause (context.Cause) of a request's Context
	// once its answer has been sent and its body read: the request ended
	// normally. A client that went away ends it with ErrClosed, a server
	// that stops with ErrServerStopped.
	ErrAnswerSent = errors.New("phttp: answer sent")
	// ErrContentLength is returned by Flush and Send when a detached
	// response set Content-Length and the body written does not match it;
	// the connection is closed, since its framing is now wrong.
	ErrContentLength = errors.New("phttp: body does not match Content-Length")
)
