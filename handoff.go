package phttp

import "github.com/phttp-go/phttp/internal/handoff"

func init() {
	handoff.Release = func(w any) { w.(*Response).released.Store(true) }
}
