package phttp

// A connection's phase says what its input means and what may happen next.
// Every change of phase goes through enter, against the table below, so the
// life of a connection can be read in one place:
//
//	head ──▶ body ──▶ discard          a request: head, then its body (or
//	  ▲       │          │              the rest of a body answered early)
//	  │       ▼          ▼
//	  └──── answer ◀─────┘              a detached answer is in progress
//	  │
//	  ▼
//	  ws, raw                           after a 101 (WebSocket, or AcceptUpgrade)
//	  h2                                the HTTP/2 preface (h2c), or from the start (ALPN "h2")
//
//	any of them ──▶ closing ──▶ linger ──▶ closed
//	any phase   ──▶ closed              (an abort)
type connPhase uint8

const (
	phaseHead    connPhase = iota // reading a request head (or waiting for one)
	phaseBody                     // reading a body the handler will get
	phaseDiscard                  // reading and dropping a body the handler answered early
	phaseAnswer                   // a detached answer is in progress: input waits
	phaseWS                       // WebSocket frames
	phaseRaw                      // upgraded with AcceptUpgrade: bytes go to the handler as they come
	phaseH2                       // HTTP/2 frames (by ALPN, or h2c's preface): streams are the requests
	phaseClosing                  // flushing the queue before FIN
	phaseLinger                   // FIN sent: reading only to drain the client's last bytes
	phaseClosed                   // the socket is closed; the conn is only a stale reference
)

var phaseNames = [...]string{"head", "body", "discard", "answer", "ws", "raw", "h2", "closing", "linger", "closed"}

func (p connPhase) String() string { return phaseNames[p] }

// legalNext lists, for each phase, the phases it may move to (besides
// itself and closed, which every phase may).
var legalNext = [...][]connPhase{
	phaseHead:    {phaseBody, phaseAnswer, phaseWS, phaseRaw, phaseH2, phaseClosing},
	phaseBody:    {phaseDiscard, phaseAnswer, phaseHead, phaseWS, phaseRaw, phaseClosing},
	phaseDiscard: {phaseAnswer, phaseHead, phaseWS, phaseRaw, phaseClosing},
	phaseAnswer:  {phaseHead, phaseWS, phaseRaw, phaseClosing},
	phaseWS:      {phaseClosing},
	phaseRaw:     {phaseClosing},
	phaseH2:      {phaseClosing},
	phaseClosing: {phaseLinger},
	phaseLinger:  {},
	phaseClosed:  {},
}

// legalMove reports whether a connection in phase from may enter to.
func legalMove(from, to connPhase) bool {
	if from == to && from != phaseClosed || to == phaseClosed && from != phaseClosed {
		return true
	}
	for _, p := range legalNext[from] {
		if p == to {
			return true
		}
	}
	return false
}

// enter moves c to phase p. A move the table does not allow is a bug in the
// loop: it is logged and the connection aborted, rather than left in a
// state no code expects. It reports whether c moved.
func (lp *eventLoop) enter(c *conn, p connPhase) bool {
	if legalMove(c.phase, p) {
		c.phase = p
		return true
	}
	lp.srv.logger().Error("phttp: internal error: illegal connection phase change; closing", "from", c.phase.String(), "to", p.String(), "conn", uint64(c.id))
	lp.closeConn(c, CloseInternalError)
	return false
}

// closed reports whether c's socket has been closed: code holding a
// reference from earlier in the turn asks this before touching c.
func (c *conn) closed() bool { return c.phase == phaseClosed }

// closing reports whether c is on its way out (flushing, lingering or
// closed): no more input is handled.
func (c *conn) closing() bool { return c.phase >= phaseClosing }

// idle reports whether c waits between requests with nothing buffered: a
// keep-alive connection that Shutdown and IdleTimeout may close at once.
func (c *conn) idle() bool { return c.phase == phaseHead && c.rs == nil && len(c.inBuf) == 0 }
