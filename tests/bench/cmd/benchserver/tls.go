//go:build !nophttp

package main

import (
	"net"
	"net/http"

	"github.com/phttp-go/phttp"
)

// The TLS rows: /plaintext over TLS by net/http's own TLS server and by
// phttp's, with the same self-signed ECDSA P-256 certificate made at
// start (the clients do not check it).
func init() {
	peers["nethttp-tls"] = func(addr string) error {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: plainMux(), TLSConfig: benchTLS()}
		return srv.ServeTLS(l, "", "")
	}
	peers["phttp-tls"] = func(addr string) error {
		srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
			if r.Path == "/plaintext" {
				w.SetHeader("Content-Type", "text/plain")
				w.Write(hello)
				return
			}
			w.Status = 404
		}, MaxConnections: 20000, TLSConfig: benchTLS()}
		return srv.ListenAndRun(addr)
	}
}
