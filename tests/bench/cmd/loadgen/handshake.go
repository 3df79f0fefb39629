package main

import (
	"flag"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// cmdHandshakes measures new TLS connections per second: -c goroutines
// each open a connection (a full handshake: no resumption), make one
// /plaintext request, and close it, for -d.
func cmdHandshakes(args []string) error {
	fs := flag.NewFlagSet("handshakes", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	conns := fs.Int("c", 16, "concurrent clients")
	dur := fs.Duration("d", 3*time.Second, "duration of one run")
	runs := fs.Int("runs", 3, "runs")
	pid := fs.Int("pid", 0, "server pid, for its CPU use")
	fs.Parse(args)
	if !useTLS {
		return fmt.Errorf("handshakes needs LOADGEN_TLS=1")
	}
	req := []byte("GET /plaintext HTTP/1.1\r\nHost: " + *addr + "\r\nConnection: close\r\n\r\n")
	var failed error
	for range *runs {
		cpu := startCPU(*pid)
		var done, errs atomic.Int64
		var first atomic.Value
		stop := time.Now().Add(*dur)
		var wg sync.WaitGroup
		for range *conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := net.Dialer{Timeout: 5 * time.Second}
				for time.Now().Before(stop) {
					c, err := dialConn(&d, *addr)
					if err == nil {
						err = oneRequest(c, req)
						c.Close()
					}
					if err != nil {
						errs.Add(1)
						first.CompareAndSwap(nil, err)
						continue
					}
					done.Add(1)
				}
			}()
		}
		wg.Wait()
		share := cpu.report("handshakes")
		if n := errs.Load(); n > 0 {
			note("handshakes: %d failed; first: %v", n, first.Load())
		}
		if done.Load() == 0 {
			emit("handshakes", "fail")
			failed = fmt.Errorf("no handshake succeeded")
			continue
		}
		rate := float64(done.Load()) / dur.Seconds()
		emitRate("handshakes", rate, share)
		logf("handshakes: %.0f new TLS connections/s (%d clients)", rate, *conns)
	}
	return failed
}
