//go:build !nophttp

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"time"

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

func benchTLS() *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}
