package phttp

import (
	"errors"
	"net"
)

// acceptAll accepts what the listener has, up to a batch.
func (lp *eventLoop) acceptAll(idx int) {
	l := lp.listeners[idx]
	for range maxAcceptBatch {
		if l.paused || lp.acceptsPaused {
			return
		}
		sock, addr, err := acceptSocket(l.sock)
		switch {
		case err == nil:
			local := l.local
			if local == nil {
				local = localAddr(sock) // a wildcard listener: which address did the client reach?
			}
			lp.adopt(sock, addr, local, lp.srv.newConnID())
		case errors.Is(err, errWouldBlock):
			return
		case errors.Is(err, errNoDescriptors):
			// Out of descriptors: the pending connection stays in the
			// backlog; stop asking for a while instead of spinning.
			lp.srv.logger().Warn("phttp: accept: out of descriptors; pausing accepts", "backoff", acceptBackoff, "listener", l.ln.Addr().String())
			l.paused = true
			lp.poll.modify(l.sock, listenerToken|uint64(idx), 0)
			lp.acceptResume = lp.now + acceptBackoff
			return
		default:
			lp.srv.logger().Error("phttp: accept", "err", err, "listener", l.ln.Addr().String())
			return
		}
	}
}

// adopt registers an accepted (or AddConn's) socket as connection id.
func (lp *eventLoop) adopt(sock sysSocket, addr, local net.Addr, id ConnID) {
	reject := lp.srv.Connections() >= lp.lim.maxConns
	if reject && (lp.rejecting >= maxRejecting || lp.tlsConf != nil) {
		// Over the limit on TLS: a 503 would need a handshake first.
		closeSocket(sock)
		return
	}
	c := &conn{sock: sock, remote: addr, local: local, keepAlive: true}
	c.q.limit = lp.lim.queueBytes
	if len(lp.freeSlots) > 0 {
		c.slot = lp.freeSlots[len(lp.freeSlots)-1]
		lp.freeSlots = lp.freeSlots[:len(lp.freeSlots)-1]
	} else {
		c.slot = uint32(len(lp.slots))
		lp.slots = append(lp.slots, nil)
	}
	c.id = id
	c.gen = uint32(c.id) & genMask
	if err := lp.poll.add(sock, c.token()); err != nil {
		lp.srv.logger().Error("phttp: poller add", "err", err)
		closeSocket(sock)
		lp.freeSlots = append(lp.freeSlots, c.slot)
		return
	}
	lp.slots[c.slot] = c
	c.interest = wantRead
	lp.srv.counters.accepted.Add(1)
	if reject {
		lp.srv.counters.refused.Add(1)
		c.rejected = true
		lp.rejecting++
		lp.srv.logger().Debug("phttp: over MaxConnections; answering 503", "remote", addr.String(), "max", lp.lim.maxConns)
		lp.queueLoop(c, response503)
		lp.beginClose(c)
		return
	}
	lp.srv.connCount.Add(1)
	lp.srv.conns.put(c)
	lp.headerTimers.arm(c, lp.now) // on TLS it bounds the handshake too
	if lp.tlsConf != nil {
		lp.startTLS(c)
	}
}
