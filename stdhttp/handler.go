package stdhttp

import (
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/internal/handoff"
)

// Handler returns a phttp handler that serves each HTTP request with
// h.ServeHTTP on a goroutine of its own, so h may block (on disk, a
// database, another service) while the loop serves every other
// connection. The goroutine lives for the request only: an idle
// keep-alive connection has none. Requests of one connection are served
// one after another, as net/http serves them; the answers of pipelined
// requests go out in order.
//
// A goroutine per request rather than a pool with a queue: a pool would
// bound concurrency a second time (MaxConnections already bounds it, one
// request per connection) and would make a request wait behind
// unrelated slow ones, which is the head-of-line blocking the loop exists
// to avoid; the runtime already keeps goroutine stacks for reuse.
//
// The request body reaches h as the server delivers it: whole when it was
// gathered (the default, up to MaxBodyBytes), or streamed through
// Request.BodyReader with back-pressure when Server.StreamBodies (or
// StreamBody) says so; set that for uploads, so that a large one never
// sits in memory. "Expect: 100-continue" is answered when h first reads a
// streamed body, as net/http does. Events other than HTTP requests
// (WebSocket, raw) are not for h: use phttp's own API there, or Hijack.
func Handler(h http.Handler) phttp.Handler {
	var ws workers
	return func(w *phttp.Response, r *phttp.Request) {
		if r.Type != phttp.HTTP {
			return
		}
		// Detach first: it gives a body still in the loop's read buffer
		// a copy of its own, which the goroutine may then read.
		w.Detach()
		rw, ok := prepare(w, r, false)
		if !ok {
			_ = w.Send()
			return
		}
		ws.run(func() { serve(h, rw) })
	}
}

// maxIdleWorkers is how many goroutines a Handler keeps parked between
// requests. A fresh goroutine for every request would grow its stack
// anew each time (net/http's mux and handlers need more than a new
// goroutine's), which costs more than the handing over; the parked ones
// belong to the handler, not to any connection; more than this many exit
// when their request is done, and a parked one exits after workerIdle.
const maxIdleWorkers = 64

// workerIdle is how long a parked worker waits for the next request
// before it exits.
const workerIdle = 10 * time.Second

// workers runs each request on a parked goroutine when one waits, else
// on a new one: never a queue, so no request waits behind another.
type workers struct {
	jobs    chan func() // unbuffered: a send succeeds only into a waiting worker
	once    sync.Once
	idle    atomic.Int32
	idleFor time.Duration // how long a worker stays parked; zero: workerIdle
}

func (ws *workers) run(job func()) {
	ws.once.Do(func() { ws.jobs = make(chan func()) })
	select {
	case ws.jobs <- job:
	default:
		go ws.work(job)
	}
}

func (ws *workers) work(job func()) {
	wait := ws.idleFor
	if wait == 0 {
		wait = workerIdle
	}
	var idle *time.Timer
	for {
		job()
		if ws.idle.Add(1) > maxIdleWorkers {
			ws.idle.Add(-1)
			return
		}
		if idle == nil {
			idle = time.NewTimer(wait)
		} else {
			idle.Reset(wait)
		}
		select {
		case job = <-ws.jobs:
			ws.idle.Add(-1)
			idle.Stop()
		case <-idle.C:
			ws.idle.Add(-1)
			return // a quiet server keeps no goroutines
		}
	}
}

// OnLoop returns a phttp handler that runs h.ServeHTTP on the loop
// goroutine, inside the handler call: the cheapest path, for handlers that
// never block (no disk, no locks held long, no other service). Its
// answer goes out whole when h returns, so Flush does nothing and Hijack
// and SetWriteDeadline return ErrOnLoop; the body is gathered whole
// before h runs (a streamed one too, within MaxBodyBytes). Otherwise it
// behaves as Handler.
func OnLoop(h http.Handler) phttp.Handler {
	var bodies streamedBodies
	return func(w *phttp.Response, r *phttp.Request) {
		if r.Type != phttp.HTTP {
			return
		}
		if !r.BodyDone {
			bodies.add(r) // a streamed body: gathered until its last piece
			return
		}
		if whole, ok := bodies.take(r); ok {
			r.Body = whole
		}
		rw, ok := prepare(w, r, true)
		if !ok {
			return
		}
		run(h, rw)
	}
}

// prepare builds the request and its writer, or answers 400 for a target
// net/url cannot read.
func prepare(w *phttp.Response, r *phttp.Request, onLoop bool) (*responseWriter, bool) {
	var body io.ReadCloser = http.NoBody
	switch {
	case !r.BodyDone && !onLoop:
		body = r.BodyReader().(io.ReadCloser) // streamed: a pipe the loop fills
	case len(r.Body) > 0:
		b := new(bufferedBody)
		b.r.Reset(r.Body) // valid after Detach, and during an OnLoop call
		body = b
	}
	req, err := newRequest(r.Context(), r, body)
	if err != nil {
		w.Status = http.StatusBadRequest
		w.SetHeader("Content-Type", "text/plain; charset=utf-8")
		w.Body = append(w.Body[:0], "400 Bad Request: malformed request-target"...)
		return nil, false
	}
	rw := &responseWriter{
		w: w, req: req, body: body, header: make(http.Header), log: logger(r.Server),
		onLoop: onLoop, isHead: r.Method == http.MethodHead, declared: -1,
	}
	return rw, true
}

// serve runs one request on its goroutine.
func serve(h http.Handler, rw *responseWriter) {
	w := rw.w
	run(h, rw)
	// The answer has ended and rw refuses every call from now on: nothing
	// reaches w again, so the loop may reuse the request's state.
	handoff.Release(w)
}

// run calls h and ends the answer, whatever h did (returned, panicked,
// hijacked).
func run(h http.Handler, rw *responseWriter) {
	defer rw.finished.Store(true)
	defer func() {
		if p := recover(); p != nil {
			rw.body.Close()
			rw.fail(p)
		}
	}()
	h.ServeHTTP(rw, rw.req)
	// The rest of a body h did not read is dropped before the answer
	// ends, so that the loop never waits on a reader that is gone.
	rw.body.Close()
	_ = rw.finish()
}

// streamedBodies gathers the pieces of streamed bodies for OnLoop, keyed
// by the request (one handler value may serve several servers' loops).
type streamedBodies struct {
	mu sync.Mutex
	m  map[*phttp.Request][]byte
}

func (b *streamedBodies) add(r *phttp.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = make(map[*phttp.Request][]byte)
	}
	b.m[r] = append(b.m[r], r.Body...)
}

func (b *streamedBodies) take(r *phttp.Request) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	got, ok := b.m[r]
	if ok {
		delete(b.m, r)
		got = append(got, r.Body...)
	}
	return got, ok
}

// logger is the server's logger for panics and misuse.
func logger(s *phttp.Server) *slog.Logger {
	if s != nil && s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func stack() string { return string(debug.Stack()) }
