package phttp

import (
	"encoding/json"
	"sync/atomic"
)

// Stats are the server's counters since it was made, as Server.Stats
// reports them. All but Connections and QueuedBytes only grow.
type Stats struct {
	Connections int64 // open client connections now
	Accepted    int64 // connections accepted (or adopted with AddConn)
	Requests    int64 // HTTP requests handed to the handler
	Refused     int64 // requests and connections answered 4xx/5xx by the loop itself
	// WebSocket messages received whole, and data messages queued to
	// clients (by any send).
	WebSocketMessagesIn, WebSocketMessagesOut int64
	BytesIn, BytesOut                         int64 // read from and written to client sockets
	QueuedBytes                               int64 // waiting in outbound queues now
	Evicted                                   int64 // connections closed by WriteTimeout (a stalled consumer) or PingInterval
	PingTimeouts                              int64 // WebSocket connections closed for answering no ping (PingInterval)
}

// String formats the counters as JSON, so that Stats works with expvar:
//
//	expvar.Publish("phttp", expvar.Func(func() any { return srv.Stats() }))
func (st Stats) String() string {
	b, _ := json.Marshal(st)
	return string(b)
}

// counters are Stats as the loop (and senders) keep them: atomics, since
// Stats reads them from any goroutine; each is written by one place, so
// the adds are uncontended.
type counters struct {
	accepted, requests, refused atomic.Int64
	wsIn, wsOut                 atomic.Int64
	bytesIn, bytesOut, queued   atomic.Int64
	evicted, pingTimeouts       atomic.Int64
}

// Stats returns the server's counters. Safe from any goroutine; cheap
// enough to call once a second for a dashboard.
func (s *Server) Stats() Stats {
	c := &s.counters
	return Stats{
		Connections: s.connCount.Load(),
		Accepted:    c.accepted.Load(), Requests: c.requests.Load(), Refused: c.refused.Load(),
		WebSocketMessagesIn: c.wsIn.Load(), WebSocketMessagesOut: c.wsOut.Load(),
		BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(), QueuedBytes: c.queued.Load(),
		Evicted: c.evicted.Load(), PingTimeouts: c.pingTimeouts.Load(),
	}
}
