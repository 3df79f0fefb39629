// Command benchserver serves the load benchmark's endpoints with one of the
// peers the benchmark compares: net/http, fasthttp, nbio or phttp.
//
// Every peer answers the same four endpoints, so that one set of load
// clients measures them all:
//
//	GET /plaintext      13 bytes "Hello, World!", text/plain, keep-alive
//	GET /ws             WebSocket echo: every message comes back as sent
//	GET /bcast          WebSocket that registers the connection for broadcasts
//	GET /trigger?n=N    answers the number of registered /bcast connections,
//	                    then a background goroutine sends N 64-byte text
//	                    messages to each of them
//	GET /mtrigger?n=N   the same with N messages of 64 bytes and every fifth
//	                    16 KiB, each prepared once for all connections
//	                    (NewMessage, PreparedMessage) where the peer can
//	GET /strigger?n=N   the same with N messages of 64 bytes
//
// -compress makes every peer negotiate permessage-deflate with clients
// that offer it.
//
// run.sh starts it as `GOMAXPROCS=1 taskset -c 0 benchserver -server NAME`,
// so that each peer gets exactly one core. It exits on SIGTERM or SIGINT,
// writing the CPU profile first when -cpuprofile was given.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
)

// peers maps each -server name to the function that serves addr with that
// peer; it returns only on a failure to start or to serve. Each peer's file
// adds itself, so that phttp's can be left out of the build (-tags nophttp)
// while the library under it does not compile, and the others still run.
var peers = map[string]func(addr string) error{}

var compress = flag.Bool("compress", false, "negotiate permessage-deflate on WebSockets")

func main() {
	name := flag.String("server", "nethttp", "peer to serve with: "+strings.Join(peerNames(), ", "))
	addr := flag.String("addr", "127.0.0.1:8080", "listen address (keep it on loopback)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file (stops at SIGTERM/SIGINT)")
	flag.Parse()

	run, ok := peers[*name]
	if !ok {
		log.Fatalf("unknown -server %q (want one of %s)", *name, strings.Join(peerNames(), ", "))
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}

	// The peer runs on its own goroutine so that main can stay on the
	// signal and end the profile cleanly; none of the peers needs a
	// graceful shutdown for a benchmark.
	failed := make(chan error, 1)
	go func() { failed <- run(*addr) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)

	code := 0
	select {
	case <-sig:
	case err := <-failed:
		fmt.Fprintf(os.Stderr, "benchserver %s: %v\n", *name, err)
		code = 1
	}
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	os.Exit(code)
}

func peerNames() []string {
	names := make([]string, 0, len(peers))
	for n := range peers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
