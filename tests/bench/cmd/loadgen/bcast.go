package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// cmdBcast measures broadcast delivery: -c WebSockets register on /bcast,
// then each run asks /trigger for -n messages to every one of them and
// times until every client has received all of its n. The figure is
// messages delivered per second (n × c / time).
func cmdBcast(args []string) error {
	fs := flag.NewFlagSet("bcast", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	conns := fs.Int("c", 1000, "connections")
	n := fs.Int("n", 200, "messages per connection per run")
	runs := fs.Int("runs", 3, "runs")
	timeout := fs.Duration("timeout", 20*time.Second, "time limit of one run")
	pid := fs.Int("pid", 0, "server pid, for its CPU use")
	fs.Parse(args)

	cs, err := dialWebSockets("ws://"+*addr+"/bcast", *conns)
	if err != nil {
		emit("bcast", "fail")
		return err
	}
	defer closeWebSockets(cs)

	// Each reader signals once per run, when its count reaches a multiple
	// of n: messages arrive only after a trigger, so that happens exactly
	// once per run and needs no shared per-run state.
	done := make(chan struct{}, len(cs))
	readErr := make(chan error, len(cs))
	var received atomic.Int64 // over all runs, for the report of a failed one
	for _, c := range cs {
		go func() {
			buf := make([]byte, 128)
			for count := 1; ; count++ {
				if err := readBcast(c, buf); err != nil {
					readErr <- err
					return
				}
				received.Add(1)
				if count%*n == 0 {
					done <- struct{}{}
				}
			}
		}()
	}

	if err := waitRegistered(*addr, *conns, 10*time.Second); err != nil {
		emit("bcast", "fail")
		return err
	}
	for run := range *runs {
		cpu := startCPU(*pid)
		rate, err := bcastRun(*addr, len(cs), *n, *timeout, done, readErr)
		share := cpu.report("bcast")
		if err != nil {
			emit("bcast", "fail")
			got := received.Load() - int64(run**n*len(cs))
			err = fmt.Errorf("%w (%d of %d messages arrived in this run)", err, got, *n*len(cs))
			logf("bcast: %v", err)
			// The readers are now out of step with the runs: stop.
			return err
		}
		emitRate("bcast", rate, share)
		logf("bcast: %.0f messages/s (%d conns × %d messages)", rate, len(cs), *n)
	}
	return nil
}

func bcastRun(addr string, conns, n int, timeout time.Duration, done <-chan struct{}, readErr <-chan error) (float64, error) {
	start := time.Now()
	got, err := trigger(addr, n)
	if err != nil {
		return 0, err
	}
	if got != conns {
		return 0, fmt.Errorf("trigger reached %d connections, want %d", got, conns)
	}
	limit := time.NewTimer(timeout)
	defer limit.Stop()
	for finished := 0; finished < conns; {
		select {
		case <-done:
			finished++
		case err := <-readErr:
			return 0, fmt.Errorf("a client stopped reading after %d of %d had all messages: %w", finished, conns, err)
		case <-limit.C:
			return 0, fmt.Errorf("only %d of %d clients had all %d messages after %v", finished, conns, n, timeout)
		}
	}
	return float64(n*conns) / time.Since(start).Seconds(), nil
}

// readBcast reads one broadcast message into buf and checks its size.
func readBcast(c *websocket.Conn, buf []byte) error {
	_, r, err := c.NextReader()
	if err != nil {
		return err
	}
	size, err := io.ReadFull(r, buf)
	if err != io.ErrUnexpectedEOF && err != io.EOF {
		if err == nil {
			err = fmt.Errorf("message longer than %d bytes", len(buf))
		}
		return err
	}
	if size != 64 {
		return fmt.Errorf("message of %d bytes, want 64", size)
	}
	return nil
}

// waitRegistered polls /trigger?n=0 until the server counts every client:
// some peers register a connection only after its 101 has gone out.
func waitRegistered(addr string, conns int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got, err := trigger(addr, 0)
		if err == nil && got == conns {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server registered %d of %d /bcast connections after %v (%v)", got, conns, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var triggerClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// trigger asks for n messages to every registered connection and returns
// how many connections the server has registered.
func trigger(addr string, n int) (int, error) {
	resp, err := triggerClient.Get("http://" + addr + "/trigger?n=" + strconv.Itoa(n))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("trigger: status %d", resp.StatusCode)
	}
	return strconv.Atoi(strings.TrimSpace(string(body)))
}
