package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// cmdPipeline measures pipelined req/s on /plaintext, beyond what wrk can
// send: each connection writes -depth requests at once, reads -depth
// responses, and starts over, until the run's time is up.
func cmdPipeline(args []string) error {
	fs := flag.NewFlagSet("pipeline", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	conns := fs.Int("c", 256, "connections")
	depth := fs.Int("depth", 16, "requests per write")
	dur := fs.Duration("d", 3*time.Second, "duration of one run")
	runs := fs.Int("runs", 3, "runs")
	pid := fs.Int("pid", 0, "server pid, for its CPU use")
	fs.Parse(args)

	return measureRuns("pipelined", *runs, *pid,
		func() (float64, error) { return pipelineRun(*addr, *conns, *depth, *dur) },
		func(rps float64) string { return fmt.Sprintf("%.0f req/s (%d conns × %d deep)", rps, *conns, *depth) })
}

func pipelineRun(addr string, conns, depth int, dur time.Duration) (float64, error) {
	batch := bytes.Repeat([]byte("GET /plaintext HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"), depth)
	cs, err := dialAll(addr, conns)
	if err != nil {
		return 0, err
	}
	defer closeAll(cs)

	var (
		total    atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	start := time.Now()
	end := start.Add(dur)
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The deadline bounds a server that stops answering.
			c.SetDeadline(end.Add(5 * time.Second))
			rr := newRespReader(c, 64<<10)
			for time.Now().Before(end) {
				if _, err := c.Write(batch); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				for range depth {
					status, err := rr.next()
					if err == nil && status != 200 {
						err = fmt.Errorf("status %d", status)
					}
					if err != nil {
						errOnce.Do(func() { firstErr = err })
						return
					}
				}
				total.Add(int64(depth))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return 0, fmt.Errorf("after %d responses: %w", total.Load(), firstErr)
	}
	return float64(total.Load()) / elapsed.Seconds(), nil
}

// dialAll opens n connections to addr, a few at a time so that the
// listen backlog never overflows, and fails if any cannot be opened.
func dialAll(addr string, n int) ([]net.Conn, error) {
	cs := make([]net.Conn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				errs <- err
				return
			}
			cs[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		closeAll(cs)
		return nil, fmt.Errorf("dial: %w", err)
	}
	return cs, nil
}

func closeAll(cs []net.Conn) {
	for _, c := range cs {
		if c != nil {
			c.Close()
		}
	}
}

// measureRuns runs one measurement runs times and emits each rate (or
// "fail") under metric, with the server's CPU share during it; describe
// turns a rate into the log line.
func measureRuns(metric string, runs, pid int, run func() (float64, error), describe func(rate float64) string) error {
	var failed error
	for range runs {
		cpu := startCPU(pid)
		rate, err := run()
		share := cpu.report(metric)
		if err != nil {
			emit(metric, "fail")
			failed = err
			logf("%s: %v", metric, err)
			continue
		}
		emitRate(metric, rate, share)
		logf("%s: %s", metric, describe(rate))
	}
	return failed
}
