package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// cmdWSEcho measures WebSocket echo round trips/s on /ws: every connection
// sends one message, waits for it to come back, and starts over.
func cmdWSEcho(args []string) error {
	fs := flag.NewFlagSet("wsecho", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	conns := fs.Int("c", 64, "connections")
	size := fs.Int("size", 32, "message size in bytes")
	dur := fs.Duration("d", 3*time.Second, "duration of one run")
	runs := fs.Int("runs", 3, "runs")
	pid := fs.Int("pid", 0, "server pid, for its CPU use")
	fs.Parse(args)

	return measureRuns("ws_echo", *runs, *pid,
		func() (float64, error) { return wsEchoRun(*addr, *conns, *size, *dur) },
		func(rate float64) string {
			return fmt.Sprintf("%.0f round trips/s (%d conns, %d-byte messages)", rate, *conns, *size)
		})
}

func wsEchoRun(addr string, conns, size int, dur time.Duration) (float64, error) {
	cs, err := dialWebSockets("ws://"+addr+"/ws", conns)
	if err != nil {
		return 0, err
	}
	defer closeWebSockets(cs)

	msg := bytes.Repeat([]byte("e"), size)
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
			c.SetReadDeadline(end.Add(5 * time.Second))
			c.SetWriteDeadline(end.Add(5 * time.Second))
			buf := make([]byte, size+1)
			for time.Now().Before(end) {
				err := c.WriteMessage(websocket.TextMessage, msg)
				if err == nil {
					err = readEcho(c, buf, size)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				total.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return 0, fmt.Errorf("after %d round trips: %w", total.Load(), firstErr)
	}
	return float64(total.Load()) / elapsed.Seconds(), nil
}

// readEcho reads one message into buf without allocating and checks that
// it is as long as the one sent.
func readEcho(c *websocket.Conn, buf []byte, size int) error {
	_, r, err := c.NextReader()
	if err != nil {
		return err
	}
	n, err := io.ReadFull(r, buf)
	if err != io.ErrUnexpectedEOF && err != io.EOF {
		if err == nil {
			return fmt.Errorf("echo longer than the %d bytes sent", size)
		}
		return err
	}
	if n != size {
		return fmt.Errorf("echo of %d bytes, sent %d", n, size)
	}
	return nil
}

// dialWebSockets opens n WebSockets to url, 64 handshakes at a time.
func dialWebSockets(url string, n int) ([]*websocket.Conn, error) {
	dialer := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	cs := make([]*websocket.Conn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, _, err := dialer.Dial(url, nil)
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
		closeWebSockets(cs)
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	return cs, nil
}

// closeWebSockets sends each a close frame (so that servers see a clean
// close, not a reset) and closes it.
func closeWebSockets(cs []*websocket.Conn) {
	deadline := time.Now().Add(time.Second)
	for _, c := range cs {
		if c != nil {
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline)
			c.Close()
		}
	}
}
