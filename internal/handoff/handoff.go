// Package handoff lets the net/http bridge (package stdhttp) give a
// detached phttp.Response back to the loop once it will never touch it
// again, so that the loop may reuse the request's state for the next
// request instead of leaving it to the garbage collector.
//
// It is internal because the promise it carries is one only the bridge
// can keep: it hides the Response from the user (the ResponseWriter it
// hands out refuses every call once ServeHTTP has returned), so no
// goroutine can reach the reused state. A user holding a Response could
// reach another connection's answer through it, which the root package
// promises never happens. It never imports the root package (which
// imports it); the root fills Release in.
package handoff

// Release gives w, a *phttp.Response whose detached answer has ended,
// back to the loop. Set by the root package at init.
var Release func(w any)
