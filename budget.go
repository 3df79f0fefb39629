package phttp

// The server-wide budget for partially received input: request heads not
// yet complete, bodies being gathered for the handler, and WebSocket
// messages being assembled. Each limit per connection (MaxHeaderBytes,
// MaxBodyBytes, MaxMessageBytes) is sane on its own, but thousands of
// connections each holding just under it are not: 3,000 unfinished 64 KiB
// heads are 200 MB. So every connection's holdings are counted in one sum,
// and past MaxBufferedBytes the connections holding the most are refused
// (431, 413 or close 1009) until the sum is back under it; the others go on.

// errBudgetHead and errBudgetBody refuse the connection that holds the most
// when the budget is spent.
var (
	errBudgetHead = &requestError{431, "server's buffer for unfinished requests is full"}
	errBudgetBody = &requestError{413, "server's buffer for unfinished requests is full"}
)

// heldBy is what c holds of partial input now.
func heldBy(c *conn) int {
	n := cap(c.inBuf)
	if c.rs != nil {
		n += cap(c.rs.body)
		if c.rs.pipe != nil {
			n += c.rs.pipe.held()
		}
	}
	if c.ws != nil {
		n += c.ws.reader.Buffered()
	}
	if c.h2 != nil {
		n += c.h2.held()
	}
	return n
}

// account brings c's share of the budget up to date after its input was
// consumed, and refuses the biggest holders while the budget is spent.
func (lp *eventLoop) account(c *conn) {
	if c.closing() {
		return // dropHeld gave its share back
	}
	held := heldBy(c)
	lp.buffered += held - c.held
	c.held = held
	for lp.buffered > lp.lim.maxBuffered {
		if !lp.evictLargest() {
			return
		}
	}
}

// dropHeld gives c's share back; its buffers are being released.
func (lp *eventLoop) dropHeld(c *conn) {
	lp.buffered -= c.held
	c.held = 0
}

// evictLargest refuses the connection holding the most partial input. It
// reports false when none holds anything (the sum is then already right).
func (lp *eventLoop) evictLargest() bool {
	var big *conn
	for _, c := range lp.slots {
		if c != nil && !c.closing() && (big == nil || c.held > big.held) {
			big = c
		}
	}
	if big == nil || big.held == 0 {
		return false
	}
	lp.srv.logger().Debug("phttp: MaxBufferedBytes reached; refusing the biggest holder", "remote", big.remote.String(), "conn", uint64(big.id), "held", big.held, "max", lp.lim.maxBuffered)
	switch {
	case big.phase == phaseH2:
		lp.h2Fail(big, h2EnhanceYourCalm, "server's buffer for unfinished requests is full")
	case big.phase == phaseWS:
		lp.failWebSocket(big, CloseMessageTooBig, "server's buffer for unfinished messages is full")
	case big.phase == phaseBody && !big.rs.handled:
		lp.refuse(big, errBudgetBody)
	case big.phase == phaseHead:
		lp.refuse(big, errBudgetHead)
	default:
		lp.closeConn(big, CloseAbnormal)
	}
	return true
}
