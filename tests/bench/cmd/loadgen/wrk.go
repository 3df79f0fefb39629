package main

import (
	"context"
	"flag"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// cmdWrk runs wrk (one thread: the client has one core) against /plaintext
// -runs times and emits req/s and the 99th-percentile latency of each run.
func cmdWrk(args []string) error {
	fs := flag.NewFlagSet("wrk", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	conns := fs.Int("c", 64, "connections")
	dur := fs.Duration("d", 3*time.Second, "duration of one run")
	runs := fs.Int("runs", 3, "runs")
	pid := fs.Int("pid", 0, "server pid, for its CPU use")
	fs.Parse(args)

	rpsName := fmt.Sprintf("rps@%d", *conns)
	p99Name := fmt.Sprintf("p99@%d", *conns)
	var failed error
	for range *runs {
		cpu := startCPU(*pid)
		res, err := runWrk(*addr, *conns, *dur)
		share := cpu.report(rpsName)
		if err != nil {
			emit(rpsName, "fail")
			emit(p99Name, "fail")
			failed = err
			logf("%s: %v", rpsName, err)
			continue
		}
		emitRate(rpsName, res.rps, share)
		emit(p99Name, res.p99ms)
		logf("%s: %.0f req/s, p99 %.3f ms", rpsName, res.rps, res.p99ms)
	}
	return failed
}

type wrkResult struct {
	rps, p99ms float64
}

var (
	wrkRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkP99    = regexp.MustCompile(`\s99%\s+([0-9.]+)(us|ms|s)\b`)
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocket = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// runWrk runs wrk once and parses its summary. Non-2xx answers fail the
// run: a server that answers errors fast must not look fast. Socket errors
// are only noted, since wrk also counts the connections it cuts at the end.
func runWrk(addr string, conns int, dur time.Duration) (wrkResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dur+15*time.Second)
	defer cancel()
	secs := max(1, int(dur.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, "wrk", "-t1", "-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(secs)+"s", "--timeout", "2s", "--latency",
		scheme()+"://"+addr+"/plaintext")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %v: %s", err, strings.TrimSpace(text))
	}
	if m := wrkNon2xx.FindStringSubmatch(text); m != nil {
		return wrkResult{}, fmt.Errorf("wrk: %s non-2xx responses", m[1])
	}
	if m := wrkSocket.FindStringSubmatch(text); m != nil {
		note("wrk -c%d: %s", conns, m[0])
	}
	m := wrkRPS.FindStringSubmatch(text)
	l := wrkP99.FindStringSubmatch(text)
	if m == nil || l == nil {
		return wrkResult{}, fmt.Errorf("cannot parse wrk output: %s", text)
	}
	rps, _ := strconv.ParseFloat(m[1], 64)
	p99, _ := strconv.ParseFloat(l[1], 64)
	switch l[2] {
	case "us":
		p99 /= 1000
	case "s":
		p99 *= 1000
	}
	if rps == 0 {
		return wrkResult{}, fmt.Errorf("wrk: no request completed: %s", text)
	}
	return wrkResult{rps: rps, p99ms: p99}, nil
}
