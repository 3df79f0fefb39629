// Command demo is phttp's gateway demo: a page on 127.0.0.1 that holds a
// WebSocket to this program, shows "tick N" frames pushed by a goroutine,
// echoes what the user types, and says so when the server goes away. It
// also serves /events (Server-Sent Events) and /heavy (a 32 MiB download
// streamed by a goroutine under back-pressure).
//
//	go run ./demo [-addr 127.0.0.1:8080]
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
	tick := flag.Duration("tick", 200*time.Millisecond, "interval between pushed ticks")
	flag.Parse()

	g := newGateway(*tick)
	if err := g.srv.Listen("tcp", *addr); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("phttp demo: open http://%s/\n", g.srv.Addr())

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
