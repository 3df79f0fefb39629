package main

import (
	"crypto/tls"
	"net"
	"os"
)

// useTLS is set by LOADGEN_TLS=1 (run.sh sets it for the -tls servers):
// the clients then speak TLS, trusting whatever certificate the server
// shows (it is a benchmark on loopback, not a place to check identity).
var useTLS = os.Getenv("LOADGEN_TLS") == "1"

func scheme() string {
	if useTLS {
		return "https"
	}
	return "http"
}

// clientTLS offers no session tickets, so every connection is a full
// handshake, and no ALPN beyond HTTP/1.1.
func clientTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, SessionTicketsDisabled: true, NextProtos: []string{"http/1.1"}}
}

// dialConn dials addr with d, and with LOADGEN_TLS completes a TLS
// handshake on the connection.
func dialConn(d *net.Dialer, addr string) (net.Conn, error) {
	c, err := d.Dial("tcp", addr)
	if err != nil || !useTLS {
		return c, err
	}
	tc := tls.Client(c, clientTLS())
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}
