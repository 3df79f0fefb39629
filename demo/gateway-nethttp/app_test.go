package main

import (
	"net"
	"testing"
	"time"

	"github.com/phttp-go/phttp/demo/internal/gatewaytest"
)

// TestGateway drives the net/http gateway through the same endpoints as
// phttp's.
func TestGateway(t *testing.T) {
	a := newApp(gatewaytest.Dir(t), gatewaytest.DevOrigin)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go a.srv.Serve(l)
	go a.ticks(50 * time.Millisecond)
	gatewaytest.Drive(t, l.Addr().String(), func() { close(a.stop) }, a.srv.Shutdown)
}
