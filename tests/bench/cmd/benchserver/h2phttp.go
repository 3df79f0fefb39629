//go:build !nophttp

package main

import "github.com/phttp-go/phttp"

// phttp's HTTP/2 on /plaintext: h2c with prior knowledge beside HTTP/1.1
// (phttp-h2c), and h2 by ALPN over TLS (phttp-h2, the zero Protocols).
func init() {
	peers["phttp-h2c"] = func(addr string) error {
		srv := &phttp.Server{Handler: plainPhttp, MaxConnections: 20000, Protocols: phttp.HTTP1 | phttp.UnencryptedHTTP2}
		return srv.ListenAndRun(addr)
	}
	peers["phttp-h2"] = func(addr string) error {
		srv := &phttp.Server{Handler: plainPhttp, MaxConnections: 20000, TLSConfig: benchTLS()}
		return srv.ListenAndRun(addr)
	}
}

func plainPhttp(w *phttp.Response, r *phttp.Request) {
	if r.Path == "/plaintext" {
		w.SetHeader("Content-Type", "text/plain")
		w.Write(hello)
		return
	}
	w.Status = 404
}
