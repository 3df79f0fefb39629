package phttp

import (
	"bytes"
	"fmt"
	"net/url"
	"runtime/debug"
	"strings"
)

// startRequest turns a parsed head into the Request, checks what the loop
// checks for every request (target form, Host allow-list, body limit,
// WebSocket origin), and calls the handler or starts reading the body.
func (lp *eventLoop) startRequest(c *conn, rs *reqState, raw []byte) {
	// Every string of the Request is a slice of this copy of the head, so
	// they outlive the read buffer; the arena makes it far less than one
	// allocation per request.
	head := lp.heads.copy(raw)
	h := &rs.head
	r := &rs.req
	r.Type, r.ConnID, r.Server, r.RemoteAddr = HTTP, c.id, lp.srv, c.remote
	r.Method = head[h.Method.Start:h.Method.End]
	r.URI = head[h.Target.Start:h.Target.End]
	r.Proto = "HTTP/1.1"
	if h.Minor == 0 {
		r.Proto = "HTTP/1.0"
	}
	fields := rs.fields[:0]
	for _, f := range h.Fields {
		fields = append(fields, HeaderField{Name: head[f.Name.Start:f.Name.End], Value: head[f.Value.Start:f.Value.End]})
	}
	rs.fields = fields
	r.Header = fields
	r.ContentLength = h.ContentLength
	r.Chunked = h.Chunked
	r.BodyDone = false
	r.Body = nil
	r.Host = ""
	if h.HasHost {
		r.Host = head[h.Host.Start:h.Host.End]
	}
	c.keepAlive = !h.Close && (h.Minor >= 1 || h.KeepAlive) && c.keepAlive
	rs.resp.reset(lp, c, rs)

	if status, reason := lp.splitTarget(r); status != 0 {
		lp.refuse(c, &requestError{status, reason})
		return
	}
	if !lp.hostAllowed(r.Host, h.HasHost || r.Host != "") {
		lp.refuse(c, &requestError{421, "host not allowed: " + r.Host})
		return
	}
	hasBody := h.ContentLength > 0 || h.Chunked
	if !lp.srv.StreamBodies && h.ContentLength > lp.lim.maxBody {
		lp.refuse(c, errBodyTooLarge)
		return
	}
	// The parser saw Connection: upgrade; only then is Upgrade worth a look.
	if h.Upgrade && r.Method == "GET" && headerHasToken(r.Header, "Upgrade", "websocket") && !lp.originAllowed(r) {
		lp.refuse(c, &requestError{403, "WebSocket origin not allowed"})
		return
	}
	rs.left = h.ContentLength
	if h.Chunked {
		rs.left = -1
	}
	rs.bodyMax = lp.lim.maxBody
	rs.expect100 = h.Expect100 && h.Minor >= 1 && hasBody
	if !hasBody {
		rs.bodyDone = true
		r.BodyDone = true
		lp.dispatch(c, rs)
		lp.afterAnswer(c, rs)
		return
	}
	c.phase = phaseBody
	lp.bodyTimers.arm(c, lp.now)
	if lp.srv.StreamBodies {
		lp.dispatch(c, rs)
		if lp.slots[c.slot] != c || c.rs != rs {
			return
		}
		if rs.answered {
			lp.afterAnswer(c, rs)
			return
		}
	}
	if rs.expect100 {
		lp.queueLoop(c, continue100)
		rs.expect100 = false
	}
}

var continue100 = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// requestError is a refusal the loop decides after parsing.
type requestError struct {
	status int
	reason string
}

func (e *requestError) Error() string { return fmt.Sprintf("%d %s", e.status, e.reason) }

// errBodyTooLarge refuses a buffered body over MaxBodyBytes, whether its
// Content-Length, a chunk-size line or the bytes themselves say so.
var errBodyTooLarge = &requestError{413, "request body over MaxBodyBytes"}

// splitTarget fills Path, RawPath, RawQuery, Fragment (and Host for the
// absolute form) from URI; it returns a status when the target's form does
// not fit the method (RFC 9112 §3.2).
func (lp *eventLoop) splitTarget(r *Request) (int, string) {
	target := r.URI
	switch {
	case target == "*":
		if r.Method != "OPTIONS" {
			return 400, "asterisk-form target needs OPTIONS"
		}
		r.Path, r.RawPath, r.RawQuery, r.Fragment = "*", "*", "", ""
		return 0, ""
	case r.Method == "CONNECT":
		if strings.ContainsAny(target, "/?#") || target == "" {
			return 400, "CONNECT needs an authority-form target"
		}
		r.Host = target
		r.Path, r.RawPath, r.RawQuery, r.Fragment = "", "", "", ""
		return 0, ""
	case target[0] == '/':
	default:
		scheme, rest, ok := strings.Cut(target, "://")
		if !ok || !(equalFold(scheme, "http") || equalFold(scheme, "https")) {
			return 400, "malformed request-target"
		}
		authority := rest
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			authority, target = rest[:i], rest[i:]
		} else {
			target = "/"
		}
		if authority == "" || strings.Contains(authority, "@") {
			return 400, "malformed absolute-form authority"
		}
		r.Host = authority // RFC 9112 §3.2.2: the target's authority wins over Host
		if target[0] != '/' {
			target = "/" + target
		}
	}
	if i := strings.IndexByte(target, '#'); i >= 0 {
		r.Fragment = target[i+1:]
		target = target[:i]
	} else {
		r.Fragment = ""
	}
	if i := strings.IndexByte(target, '?'); i >= 0 {
		r.RawQuery = target[i+1:]
		target = target[:i]
	} else {
		r.RawQuery = ""
	}
	r.RawPath = target
	r.Path = target
	if strings.IndexByte(target, '%') >= 0 {
		p, err := url.PathUnescape(target)
		if err != nil {
			return 400, "malformed percent-encoding in path"
		}
		r.Path = p
	}
	return 0, ""
}

// dispatch calls the handler for rs's request and sends the answer unless
// the handler detached it or (streaming, before the last piece) wrote
// nothing.
func (lp *eventLoop) dispatch(c *conn, rs *reqState) {
	w := &rs.resp
	lp.callHandler(w, &rs.req)
	if lp.slots[c.slot] != c || c.rs != rs {
		return
	}
	if w.detached {
		rs.answered = true
		if len(rs.req.Body) > 0 {
			rs.req.Body = bytes.Clone(rs.req.Body) // it may live in the read buffer
		}
		rs.body = nil
		if rs.expect100 && !rs.bodyDone {
			lp.queueLoop(c, continue100)
			rs.expect100 = false
		}
		return
	}
	if lp.srv.StreamBodies && !rs.req.BodyDone && !w.answered() {
		return // "a call before BodyDone that writes nothing sends nothing"
	}
	rs.answered = true
	if !rs.bodyDone && !rs.closeAfter {
		// Answered before the body ended: the rest is read and dropped,
		// unless it is known to be more than MaxBodyBytes.
		if rs.left > lp.lim.maxBody {
			rs.closeAfter = true
		}
	}
	lp.writeAnswer(c, rs)
}

// callHandler runs the handler with panics recovered: a panic answers 500
// (or, for a WebSocket message, closes 1011), is logged, and the loop goes on.
func (lp *eventLoop) callHandler(w *Response, r *Request) {
	lp.inCallback.Store(true)
	lp.current.Store(w)
	defer lp.current.Store(nil)
	defer lp.inCallback.Store(false)
	defer func() {
		if p := recover(); p != nil {
			lp.srv.logger().Error("phttp: handler panic", "panic", fmt.Sprint(p), "method", r.Method, "path", r.Path, "conn", uint64(r.ConnID), "stack", string(debug.Stack()))
			w.panicked = true
			if w.detached {
				return // its owner may be another goroutine now: leave it be
			}
			w.Status, w.Body, w.upgraded = 500, append(w.Body[:0], "Internal Server Error"...), false
			w.Header = w.Header[:0]
			w.Header.Set("Content-Type", "text/plain; charset=utf-8")
		}
	}()
	if h := lp.srv.Handler; h != nil {
		h(w, r)
	} else if r.Type == HTTP {
		w.Status = 404
	}
}

// callPosted runs a function from Post with the same panic protection.
func (lp *eventLoop) callPosted(f func()) {
	lp.inCallback.Store(true)
	defer lp.inCallback.Store(false)
	defer func() {
		if p := recover(); p != nil {
			lp.srv.logger().Error("phttp: posted function panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	f()
}

// writeAnswer queues the handler's answer for a synchronous response.
func (lp *eventLoop) writeAnswer(c *conn, rs *reqState) {
	w := &rs.resp
	if !c.keepAlive || rs.closeAfter || lp.shuttingDown {
		w.closeConn = true
	}
	lp.queueAnswer(c, w) // may set closeConn (the handler's own Connection: close)
	rs.closeAfter = rs.closeAfter || w.closeConn
	rs.upgrade = w.upgraded
	rs.answerDone = true
}
