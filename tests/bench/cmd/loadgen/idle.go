package main

import (
	"flag"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// cmdIdle measures what an idle keep-alive connection costs the server.
// It opens -base connections first, reads the server's VmRSS, opens the
// rest up to -c, reads VmRSS again, and emits the difference divided by the
// connections added. Each connection makes one request and then stays open
// doing nothing. Measuring the margin from -base on, rather than from a
// fresh process, keeps start-up effects out: a heap that had freed spans
// (or pools filled) before the first connection would make the first ones
// look free.
func cmdIdle(args []string) error {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	conns := fs.Int("c", 10000, "idle connections in the end")
	base := fs.Int("base", 1000, "connections opened before the first RSS reading")
	sources := fs.Int("sources", 4, "local addresses 127.0.0.1..127.0.0.N to spread the ephemeral ports over")
	settle := fs.Duration("settle", time.Second, "wait this long after the last request before reading RSS")
	timeout := fs.Duration("timeout", 60*time.Second, "time limit for opening every connection")
	pid := fs.Int("pid", 0, "server pid (required)")
	h2 := fs.Bool("h2", false, "speak HTTP/2 (h2c prior knowledge, or h2 by ALPN with LOADGEN_TLS): preface, SETTINGS and one stream per connection; emits h2rss_per_conn")
	fs.Parse(args)
	metric := "rss_per_conn"
	if *h2 {
		metric = "h2rss_per_conn"
		idleHTTP2 = true
	}
	if *pid == 0 || *base >= *conns {
		return fmt.Errorf("need -pid, and -base below -c")
	}

	deadline := time.Now().Add(*timeout)
	first, err := openIdle(*addr, 0, *base, *sources, deadline)
	defer closeAll(first)
	if err != nil {
		emit(metric, "fail")
		return err
	}
	time.Sleep(*settle)
	before, err := rssBytes(*pid)
	if err != nil {
		emit(metric, "fail")
		return err
	}
	rest, err := openIdle(*addr, *base, *conns-*base, *sources, deadline)
	defer closeAll(rest)
	if err != nil {
		emit(metric, "fail")
		return err
	}
	time.Sleep(*settle)
	after, err := rssBytes(*pid)
	if err != nil {
		emit(metric, "fail")
		return fmt.Errorf("server gone while holding %d connections: %w", *conns, err)
	}
	per := float64(after-before) / float64(*conns-*base)
	emit(metric, per)
	logf("%s: VmRSS %d KiB with %d idle connections, %d KiB with %d: %.0f bytes each",
		metric, before>>10, *base, after>>10, *conns, per)
	return nil
}

// openIdle opens n connections, each making one /plaintext request and
// reading its 200, 64 at a time; it fails if any of them fails or the
// deadline passes. first numbers them, to spread them over the sources.
func openIdle(addr string, first, n, sources int, deadline time.Time) ([]net.Conn, error) {
	req := []byte("GET /plaintext HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")
	if idleHTTP2 {
		req = h2Preface(addr)
	}
	cs := make([]net.Conn, n)
	var (
		wg       sync.WaitGroup
		failures atomic.Int64
		errOnce  sync.Once
		firstErr error
	)
	sem := make(chan struct{}, 64)
	for i := range cs {
		if time.Now().After(deadline) {
			wg.Wait()
			return cs, fmt.Errorf("opened only %d of %d connections in time", first+i, first+n)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			// 127.0.0.0/8 is all loopback: other source addresses give
			// other ephemeral port ranges.
			local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+(first+i)%max(1, sources)))}
			d := net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}
			var c net.Conn
			var err error
			if idleHTTP2 {
				c, err = h2Request(&d, addr, req)
				cs[i] = c
			} else if c, err = dialConn(&d, addr); err == nil {
				cs[i] = c
				err = oneRequest(c, req)
			}
			if err != nil {
				failures.Add(1)
				errOnce.Do(func() { firstErr = fmt.Errorf("connection %d: %w", first+i, err) })
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return cs, fmt.Errorf("%d of %d connections failed; first: %w", failures.Load(), n, firstErr)
	}
	return cs, nil
}

// idleHTTP2 is set by idle -h2: openIdle speaks HTTP/2.
var idleHTTP2 bool

func oneRequest(c net.Conn, req []byte) error {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(req); err != nil {
		return err
	}
	status, err := newRespReader(c, 4<<10).next()
	if err == nil && status != 200 {
		err = fmt.Errorf("status %d", status)
	}
	return err
}
