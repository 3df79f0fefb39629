package phttp

import (
	"context"
	"sync"
)

// lifetime is what Request.Context returns, made only when asked for: a
// request that never asks costs one uncontended lock when it ends. An HTTP
// request's lifetime ends when its answer has been sent, its connection
// closes or the server stops; a WebSocket connection's when it closes.
// The loop ends it; the handler, or the goroutine a detached answer was
// handed to, may ask for the context at any time, hence the lock.
type lifetime struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelCauseFunc
	ended  error // the cause it ended with; nil while it runs
}

// context returns the lifetime's context, making it on first use; one made
// after the end is born done, with the cause the end had.
func (l *lifetime) context() context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx == nil {
		l.ctx, l.cancel = context.WithCancelCause(context.Background())
		if l.ended != nil {
			l.cancel(l.ended)
		}
	}
	return l.ctx
}

// end ends the lifetime with cause (ErrClosed: the client went away;
// ErrServerStopped; ErrAnswerSent). Only the first end counts. The loop's.
func (l *lifetime) end(cause error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended != nil {
		return
	}
	l.ended = cause
	if l.cancel != nil {
		l.cancel(cause)
	}
}

// reset readies a pooled request's lifetime for its next request. Only
// for one nobody else holds (a request that was not detached).
func (l *lifetime) reset() {
	l.mu.Lock()
	l.ctx, l.cancel, l.ended = nil, nil, nil
	l.mu.Unlock()
}
