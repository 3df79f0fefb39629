package main

import (
	"net"
	"net/http"
)

// The HTTP/2 rows' baseline: net/http's own HTTP/2 server on /plaintext,
// over cleartext with prior knowledge (nethttp-h2c, HTTP/1.1 beside it)
// and over TLS by ALPN (nethttp-h2).
func init() {
	peers["nethttp-h2c"] = func(addr string) error {
		var p http.Protocols
		p.SetHTTP1(true)
		p.SetUnencryptedHTTP2(true)
		srv := &http.Server{Addr: addr, Handler: h2Mux(), Protocols: &p}
		return srv.ListenAndServe()
	}
	peers["nethttp-h2"] = func(addr string) error {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h2Mux(), TLSConfig: benchTLS()}
		return srv.ServeTLS(l, "", "") // ALPN offers h2 and http/1.1
	}
}

func h2Mux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", helloLength)
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})
	return mux
}
