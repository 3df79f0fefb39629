package phttp

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/phttp-go/phttp/http11"
)

// The loop's own answers: what it sends without asking the handler. They
// take no send credit (the loop never waits); a client that does not read
// them has its reading paused instead.

var (
	response503 = []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\nConnection: close\r\n\r\nToo many connections")
	continue100 = []byte("HTTP/1.1 100 Continue\r\n\r\n")
)

// requestError is a refusal the loop decides after parsing.
type requestError struct {
	status int
	reason string
}

func (e *requestError) Error() string { return fmt.Sprintf("%d %s", e.status, e.reason) }

// errBodyTooLarge refuses a body over MaxBodyBytes, whether its
// Content-Length, a chunk-size line or the bytes themselves say so.
var errBodyTooLarge = &requestError{413, "request body over MaxBodyBytes"}

// refuse answers bad input with its status and Connection: close, logs it
// once at debug level, and closes the connection gracefully.
func (lp *eventLoop) refuse(c *conn, err error) {
	status, reason := 400, err.Error()
	var perr *http11.Error
	var rerr *requestError
	switch {
	case errors.As(err, &perr):
		status, reason = perr.Status, perr.Reason
	case errors.As(err, &rerr):
		status, reason = rerr.status, rerr.reason
	}
	lp.srv.counters.refused.Add(1)
	lp.srv.logger().Debug("phttp: refused request", "status", status, "reason", reason, "remote", c.remote.String(), "conn", uint64(c.id))
	lp.queueStatus(c, status, reason)
	lp.beginClose(c)
}

// queueStatus queues a short plain-text answer from the loop itself
// (refusals), closing the connection after it.
func (lp *eventLoop) queueStatus(c *conn, code int, reason string) {
	out := appendStatusLine(lp.scratch[:0], code)
	out = append(out, "Date: "...)
	out = append(out, lp.date.get(lp.wall)...)
	out = append(out, "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"...)
	body := statusText(code)
	if reason != "" {
		body += ": " + reason
	}
	body += "\n"
	out = append(out, "Content-Length: "...)
	out = strconv.AppendInt(out, int64(len(body)), 10)
	out = append(out, "\r\n\r\n"...)
	out = append(out, body...)
	lp.scratch = out[:0]
	lp.queueLoop(c, out)
}
