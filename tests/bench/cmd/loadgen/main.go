// Command loadgen holds the load benchmark's clients, one subcommand each:
//
//	wait      wait until a server answers /plaintext
//	wrk       run wrk on /plaintext: req/s and p99 latency
//	pipeline  raw-TCP pipelining client on /plaintext: req/s
//	wsecho    WebSocket echo ping-pong on /ws: round trips/s
//	bcast     1,000 /bcast WebSockets and /trigger: messages delivered/s
//	idle      10,000 idle keep-alive connections: server RSS per connection
//	handshakes  new TLS connections per second (LOADGEN_TLS=1)
//	mbcast    1,000 /bcast WebSockets and /mtrigger (prepared messages,
//	          compressed with -z): messages delivered/s and peak RSS
//	wsidle    idle WebSockets (compressed with -z): server RSS per connection
//	h2load    h2load on /plaintext over HTTP/2 (h2c, or h2 with LOADGEN_TLS): req/s
//
// idle -h2 holds idle HTTP/2 connections instead (preface, SETTINGS and
// one stream each).
//
// With LOADGEN_TLS=1, wait, wrk and idle speak TLS too.
//
// Each subcommand prints its results on stdout as tab-separated lines that
// run.sh prefixes with the server's name and benchtable turns into the
// table:
//
//	METRIC  VALUE       one measurement (several runs give several lines)
//	METRIC  fail        a run that failed; the reason is on stderr
//	cpu:METRIC  PCT     the server's CPU use during that run, in percent
//	note    TEXT        something odd worth showing under the table
//
// Every loop is bounded by a count and a deadline, and every address is
// loopback.
package main

import (
	"fmt"
	"os"
	"sort"
)

var commands = map[string]func(args []string) error{
	"wait":       cmdWait,
	"wrk":        cmdWrk,
	"pipeline":   cmdPipeline,
	"wsecho":     cmdWSEcho,
	"bcast":      cmdBcast,
	"idle":       cmdIdle,
	"handshakes": cmdHandshakes,
	"mbcast":     cmdMBcast,
	"wsidle":     cmdWSIdle,
	"h2load":     cmdH2load,
}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: loadgen %v [flags]\n", names)
		os.Exit(2)
	}
	if err := commands[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// emit prints one result line for run.sh.
func emit(metric string, value any) {
	switch v := value.(type) {
	case float64:
		fmt.Printf("%s\t%.6g\n", metric, v)
	default:
		fmt.Printf("%s\t%v\n", metric, v)
	}
}

// note prints a line benchtable shows under the table.
func note(format string, args ...any) {
	fmt.Printf("note\t"+format+"\n", args...)
}

// logf reports progress on stderr, where run.sh shows it live.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "  "+format+"\n", args...)
}
