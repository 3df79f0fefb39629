package phttp

import gws "github.com/gobwas/ws"

// Keep-alive pings (Server.PingInterval). A WebSocket connection's read
// timer is free while it is open (upgraded connections have no header or
// idle timeout), so the ping timer is one more per-kind list on that node:
// every byte read from the peer re-arms it in O(1), and a silent peer is
// pinged when it fires, then closed if it fires again before anything
// came. Closing arms the linger timer on the same node, which ends the
// pings. No goroutine, no allocation per connection.

// startPings arms c's ping timer, when pings are on, as c becomes a
// WebSocket.
func (lp *eventLoop) startPings(c *conn) {
	if lp.pingTimers.after > 0 && c.phase == phaseWS && c.readTimer.list == nil {
		lp.pingTimers.arm(c, lp.now)
	}
}

// heard notes that bytes came from c: its silence starts again.
func (lp *eventLoop) heard(c *conn) {
	if c.readTimer.list != &lp.pingTimers {
		return
	}
	c.ws.pinged = false
	lp.pingTimers.arm(c, lp.now)
}

// onPingTimeout pings a peer silent for PingInterval, and closes one that
// stayed silent for another interval after its ping.
func (lp *eventLoop) onPingTimeout(c *conn) {
	if c.phase != phaseWS || c.ws == nil {
		return // closing: the linger timer or the close itself takes over
	}
	if c.interest&wantRead == 0 {
		// We are not reading it (its answers wait, or fairness): its
		// pongs may be in the kernel. The write timer judges it instead.
		c.ws.pinged = false
		lp.pingTimers.arm(c, lp.now)
		return
	}
	if !c.ws.pinged {
		c.ws.pinged = true
		lp.pingTimers.arm(c, lp.now)
		if lp.queueFrameLoop(c, gws.OpPing, nil) == nil {
			lp.flush(c)
		}
		return
	}
	if lp.queuedBytes(c) > 0 {
		// Our bytes (the ping among them, perhaps) still wait for the
		// socket: the peer may be taking a backlog and meet the ping
		// late. Whether it takes anything at all is WriteTimeout's to
		// judge. Bytes the kernel already took are not a sign of life:
		// its buffers take megabytes for a peer that is gone.
		lp.pingTimers.arm(c, lp.now)
		return
	}
	lp.srv.logger().Debug("phttp: WebSocket peer answered no ping; closing", "remote", c.remote.String(), "conn", uint64(c.id), "interval", lp.pingTimers.after)
	lp.srv.counters.pingTimeouts.Add(1)
	lp.srv.counters.evicted.Add(1)
	code := CloseAbnormal
	if lp.tryWriteClose(c, ClosePolicyViolation, "ping timeout") {
		code = ClosePolicyViolation
	}
	lp.closeConn(c, code)
}
