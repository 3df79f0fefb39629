package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// cmdMBcast measures a broadcast of prepared messages (/mtrigger: 64 B
// and every fifth 16 KiB; with -small, /strigger: 64 B each): -c WebSockets register on /bcast (offering
// permessage-deflate with -z), one run asks for -n messages to every one
// of them and times until every client has all n. It emits the messages
// delivered per second, the server's peak RSS over its life (VmHWM: the
// server is fresh, so that is the broadcast's peak) and how far that is
// above its RSS just before the broadcast.
func cmdMBcast(args []string) error {
	fs := flag.NewFlagSet("mbcast", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	conns := fs.Int("c", 1000, "connections")
	n := fs.Int("n", 1000, "messages per connection")
	z := fs.Bool("z", false, "offer permessage-deflate")
	small := fs.Bool("small", false, "64-byte messages only (/strigger)")
	timeout := fs.Duration("timeout", 60*time.Second, "time limit of the run")
	pid := fs.Int("pid", 0, "server pid, for its CPU use and RSS")
	fs.Parse(args)
	metric, path := "mbcast", "/mtrigger"
	if *z {
		metric = "mbcastz"
	}
	if *small {
		metric, path = "sbcast", "/strigger"
	}
	f, err := dialFleet(*addr, *conns, *n, *z)
	if err != nil {
		emit(metric, "fail")
		return err
	}
	defer closeWebSockets(f.conns)
	if err := waitRegistered(*addr, *conns, 10*time.Second); err != nil {
		emit(metric, "fail")
		return err
	}
	before, err := procBytes(*pid, "VmRSS:")
	if err != nil {
		emit(metric, "fail")
		return err
	}
	cpu := startCPU(*pid)
	start := time.Now()
	if err := f.runPath(*addr, path, *n, len(f.conns), *timeout); err != nil {
		emit(metric, "fail")
		return err
	}
	rate := float64(*n**conns) / time.Since(start).Seconds()
	share := cpu.report(metric)
	emitRate(metric, rate, share)
	peak, err := procBytes(*pid, "VmHWM:")
	if err != nil {
		return err
	}
	emit(metric+"_rss", float64(peak))
	emit(metric+"_growth", float64(peak-before))
	logf("%s: %.0f messages/s (%d conns × %d), server RSS %d KiB before, peak %d KiB", metric, rate, *conns, *n, before>>10, peak>>10)
	return nil
}

// cmdWSIdle measures what an idle WebSocket that negotiated
// permessage-deflate (-z) costs the server once it has had a few
// messages: -base connections get 5 /mtrigger messages (one of 16 KiB),
// VmRSS is read, the rest up to -c join and all get 5 more, and VmRSS is
// read again; the difference per added connection is the figure.
func cmdWSIdle(args []string) error {
	fs := flag.NewFlagSet("wsidle", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	conns := fs.Int("c", 2000, "connections in the end")
	base := fs.Int("base", 200, "connections before the first RSS reading")
	z := fs.Bool("z", false, "offer permessage-deflate")
	settle := fs.Duration("settle", time.Second, "wait this long before reading RSS")
	pid := fs.Int("pid", 0, "server pid, for its RSS")
	fs.Parse(args)
	metric := "wsidle"
	if *z {
		metric = "wsidle_z"
	}
	const per = 5
	first, err := dialFleet(*addr, *base, per, *z)
	if err != nil {
		emit(metric, "fail")
		return err
	}
	defer closeWebSockets(first.conns)
	if err := waitRegistered(*addr, *base, 10*time.Second); err == nil {
		err = first.run(*addr, per, *base, 30*time.Second)
	}
	if err != nil {
		emit(metric, "fail")
		return err
	}
	time.Sleep(*settle) // let freed buffers settle: there is no event for that
	rss1, err := procBytes(*pid, "VmRSS:")
	if err != nil {
		return err
	}
	rest, err := dialFleet(*addr, *conns-*base, per, *z)
	if err != nil {
		emit(metric, "fail")
		return err
	}
	defer closeWebSockets(rest.conns)
	if err := waitRegistered(*addr, *conns, 10*time.Second); err == nil {
		rest.merge(first)
		err = rest.run(*addr, per, *conns, 30*time.Second)
	}
	if err != nil {
		emit(metric, "fail")
		return err
	}
	time.Sleep(*settle)
	rss2, err := procBytes(*pid, "VmRSS:")
	if err != nil {
		return err
	}
	each := float64(rss2-rss1) / float64(*conns-*base)
	emit(metric, each)
	logf("%s: VmRSS %d KiB with %d connections, %d KiB with %d: %.0f bytes each", metric, rss1>>10, *base, rss2>>10, *conns, each)
	return nil
}

// fleet is a set of /bcast clients whose readers each signal on done
// after every per messages.
type fleet struct {
	conns []*websocket.Conn
	done  chan struct{}
	errs  chan error
}

func dialFleet(addr string, n, per int, z bool) (*fleet, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, EnableCompression: z}
	f := &fleet{conns: make([]*websocket.Conn, n), done: make(chan struct{}, 2*n), errs: make(chan error, n)}
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range f.conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, resp, err := d.Dial("ws://"+addr+"/bcast", nil)
			if err == nil && z && !strings.HasPrefix(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
				c.Close()
				err = fmt.Errorf("server did not negotiate permessage-deflate")
			}
			if err != nil {
				mu.Lock()
				first = err
				mu.Unlock()
				return
			}
			f.conns[i] = c
		}()
	}
	wg.Wait()
	if first != nil {
		closeWebSockets(f.conns)
		return nil, first
	}
	for _, c := range f.conns {
		go f.read(c, per)
	}
	return f, nil
}

func (f *fleet) read(c *websocket.Conn, per int) {
	for count := 1; ; count++ {
		_, r, err := c.NextReader()
		if err != nil {
			f.errs <- err
			return
		}
		size, err := io.Copy(io.Discard, r)
		if err != nil || (size != 64 && size != 16<<10) {
			f.errs <- fmt.Errorf("message of %d bytes (%v)", size, err)
			return
		}
		if count%per == 0 {
			f.done <- struct{}{}
		}
	}
}

// merge makes f wait for o's readers too.
func (f *fleet) merge(o *fleet) {
	go func() {
		for range o.done {
			f.done <- struct{}{}
		}
	}()
	go func() {
		for err := range o.errs {
			f.errs <- err
		}
	}()
}

// run asks for n messages to every connection and waits until want
// readers have signalled.
func (f *fleet) run(addr string, n, want int, timeout time.Duration) error {
	return f.runPath(addr, "/mtrigger", n, want, timeout)
}

// runPath is run through the trigger path given.
func (f *fleet) runPath(addr, path string, n, want int, timeout time.Duration) error {
	resp, err := triggerClient.Get("http://" + addr + path + "?n=" + strconv.Itoa(n))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mtrigger: status %d", resp.StatusCode)
	}
	limit := time.NewTimer(timeout)
	defer limit.Stop()
	for got := 0; got < want; {
		select {
		case <-f.done:
			got++
		case err := <-f.errs:
			return fmt.Errorf("a client stopped reading after %d of %d had all: %w", got, want, err)
		case <-limit.C:
			return fmt.Errorf("only %d of %d clients had all %d messages after %v", got, want, n, timeout)
		}
	}
	return nil
}
