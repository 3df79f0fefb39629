package phttp

// beginShutdown runs on the loop (posted by Shutdown): the listeners
// close, idle connections close now, WebSockets get close 1001, and
// requests in flight finish with Connection: close. The listeners close
// rather than pause, as net/http's do: a client that connects now is
// refused at once instead of waiting in the kernel's backlog for a server
// that will never take it, and the port is free for a successor.
func (lp *eventLoop) beginShutdown() {
	if lp.shuttingDown {
		return
	}
	lp.shuttingDown = true
	for _, l := range lp.listeners {
		lp.closeListener(l)
	}
	for _, c := range lp.slots {
		if c == nil {
			continue
		}
		switch {
		case c.h2 != nil:
			lp.h2Shutdown(c)
		case c.ws != nil:
			if lp.queueCloseFrame(c, CloseGoingAway, "server shutting down") {
				lp.lingerTimers.arm(c, lp.now)
				lp.flush(c)
			}
		case c.idle(), c.phase == phaseRaw:
			lp.beginClose(c)
		}
	}
	if lp.srv.connCount.Load() == 0 {
		lp.drainedOnce.Do(func() { close(lp.drained) })
	}
}
