// Command gateway is a localhost gateway built on phttp, as an
// application would be: an embedded single-page UI, a JSON API, a
// WebSocket and a Server-Sent Events feed pushed from background
// goroutines, uploads streamed to disk and downloads sent from it, CORS
// for a dev server on another origin, and a graceful shutdown.
//
//	go run ./demo/gateway [-addr 127.0.0.1:8080] [-dir DIR] [-dev-origin http://localhost:5173]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
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
	if err := a.srv.Listen("tcp", *addr); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("gateway: open http://%s/\n", a.srv.Addr())
	go a.ticks(time.Second)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		close(a.stop) // the feeds end their streams
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.srv.Shutdown(ctx); err != nil {
			log.Printf("shutdown: %v", err)
		}
	}()
	if err := a.srv.Run(); err != nil {
		log.Fatal(err)
	}
}
