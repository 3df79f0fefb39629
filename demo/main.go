// Command demo is phttp's gateway demo: a page on 127.0.0.1 that holds a
// WebSocket to this program, shows "tick N" frames pushed by a goroutine,
// echoes what the user types, and says so when the server goes away. It
// also serves /events (Server-Sent Events) and /heavy (a 32 MiB download
// streamed by a goroutine under back-pressure).
//
//	go run ./demo [-addr 127.0.0.1:8080] [-tls]
package main

import (
	"context"
	"crypto/tls"
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
	tick := flag.Duration("tick", 200*time.Millisecond, "interval between pushed ticks")
	useTLS := flag.Bool("tls", false, "serve https and wss with a self-signed certificate for localhost, made at start")
	flag.Parse()

	g := newGateway(*tick)
	scheme := "http"
	if *useTLS {
		cert, fingerprint, err := selfSigned()
		if err != nil {
			log.Fatal(err)
		}
		g.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		scheme = "https"
		fmt.Printf("phttp demo: self-signed certificate, SHA-256 fingerprint %s\n", fingerprint)
	}
	if err := g.srv.Listen("tcp", *addr); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("phttp demo: open %s://%s/\n", scheme, g.srv.Addr())

	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		g.srv.Shutdown(ctx)
	}()
	go g.tickLoop()
	if err := g.srv.Run(); err != nil {
		log.Fatal(err)
	}
	g.stopTicks()
}
