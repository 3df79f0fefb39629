// Command gateway-nethttp is demo/gateway written with net/http and
// gorilla/websocket instead of phttp, the same endpoints and UI, so that
// the two can be read (and counted) side by side.
//
//	go run ./demo/gateway-nethttp [-addr 127.0.0.1:8080] [-dir DIR] [-dev-origin http://localhost:5173]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	dir := flag.String("dir", os.TempDir(), "where uploads are stored")
	devOrigin := flag.String("dev-origin", "", "a dev server's origin allowed to use the API and WebSocket")
	flag.Parse()

	a := newApp(*dir, *devOrigin)
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("gateway: open http://%s/\n", l.Addr())
	go a.ticks(time.Second)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		close(a.stop)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.srv.Shutdown(ctx); err != nil {
			log.Printf("shutdown: %v", err)
		}
	}()
	if err := a.srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
