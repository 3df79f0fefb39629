//go:build !nophttp

package main

import (
	"net/http"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/stdhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// The bridge rows: one ordinary net/http handler for /plaintext, served
// by phttp through stdhttp (on the loop, and on a goroutine per request)
// and by fasthttp through its own net/http adaptor. The WebSocket rows do
// not apply to them.
func init() {
	peers["phttp-onloop"] = func(addr string) error { return runBridge(addr, stdhttp.OnLoop(plainMux())) }
	peers["phttp-handler"] = func(addr string) error { return runBridge(addr, stdhttp.Handler(plainMux())) }
	peers["fasthttp-adaptor"] = func(addr string) error {
		srv := &fasthttp.Server{Handler: fasthttpadaptor.NewFastHTTPHandler(plainMux()), Name: "fasthttp"}
		return srv.ListenAndServe(addr)
	}
}

// plainMux is the application the bridges serve: net/http's /plaintext.
func plainMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", helloLength)
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})
	return mux
}

func runBridge(addr string, h phttp.Handler) error {
	srv := &phttp.Server{Handler: h, MaxConnections: 20000}
	return srv.ListenAndRun(addr)
}
