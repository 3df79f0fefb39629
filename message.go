package phttp

import (
	"sync"

	gws "github.com/gobwas/ws"
	pws "github.com/phttp-go/phttp/ws"
)

// Message is one WebSocket data message, framed once, for sending to many
// connections: every queue it is sent to references the same bytes, so a
// broadcast costs one copy of the message, not one per connection. A
// connection that negotiated permessage-deflate gets the message
// compressed, once for all such connections, by the first send that needs
// it. A Message never changes once made, and may be used from any
// goroutine, by any number at once.
type Message struct {
	frame []byte // the uncompressed frame, header and payload
	op    gws.OpCode
	hdr   int // header bytes at the front of frame

	// deflated is the compressed frame, made once (compress.go); it is
	// frame itself when compressing does not make it smaller.
	deflateOnce sync.Once
	deflated    []byte
}

// NewMessage frames a copy of p as one message of type t (WebSocketText,
// which must be valid UTF-8, or WebSocketBinary). It returns
// ErrBadMessageType or ErrInvalidUTF8 as SendWebSocket would. p may be
// reused once it returns. Any goroutine.
func NewMessage(t RequestType, p []byte) (*Message, error) {
	op, err := frameOpcode(t, p)
	if err != nil {
		return nil, err
	}
	frame := pws.AppendFrame(make([]byte, 0, pws.FrameSize(len(p))), op, true, p)
	return &Message{frame: frame, op: op, hdr: len(frame) - len(p)}, nil
}

// payload is the message's bytes, without the frame header.
func (m *Message) payload() []byte { return m.frame[m.hdr:] }

// SendMessage queues m to the WebSocket connection id. The queue keeps a
// reference to m's bytes, not a copy; the credit it takes (and the
// SendQueueBytes it counts against) is the size of the frame it
// references. It waits while the queue is full, or briefly while the
// loop is behind, and returns ErrClosed if the connection is gone or goes
// while it waits, like SendWebSocket; a nil m is ErrBadMessageType. For
// goroutines other than the loop (on the loop, use TrySendMessage).
func (s *Server) SendMessage(id ConnID, m *Message) error {
	return s.sendMessage(id, m, sendWait)
}

// TrySendMessage is SendMessage that returns ErrQueueFull instead of
// waiting when the queue has no room. Safe from any goroutine, including
// the handler and posted functions: a broadcast is a posted loop over the
// connections calling it.
func (s *Server) TrySendMessage(id ConnID, m *Message) error {
	return s.sendMessage(id, m, sendTry)
}

func (s *Server) sendMessage(id ConnID, m *Message, mode sendMode) error {
	if m == nil {
		return ErrBadMessageType
	}
	c := s.conns.get(id)
	if c == nil {
		return ErrClosed
	}
	frame := m.frame
	if c.q.compressed() {
		frame = m.deflatedFrame()
	}
	return s.lp.enqueue(c, outItem{b: frame}, mode, kindMessage)
}
