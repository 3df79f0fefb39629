package main

import (
	"testing"
	"time"

	"github.com/phttp-go/phttp/demo/internal/gatewaytest"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestGateway drives every endpoint of the phttp gateway with real clients.
func TestGateway(t *testing.T) {
	a := newApp(gatewaytest.Dir(t), gatewaytest.DevOrigin)
	s := testserver.Start(t, a.srv)
	go a.ticks(50 * time.Millisecond)
	gatewaytest.Drive(t, s.Host, func() { close(a.stop) }, a.srv.Shutdown)
}
