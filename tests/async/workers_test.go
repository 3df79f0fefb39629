package async

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// job is a detached answer handed from the handler to a worker.
type job struct {
	w *phttp.Response
	r *phttp.Request
}

// workerPoolServer starts a server whose handler detaches every request
// and hands it to workers goroutines, which answer with Send. seen, owned
// by the loop, counts requests per connection.
func workerPoolServer(t *testing.T, workers int) (*testserver.Running, map[phttp.ConnID]int) {
	t.Helper()
	jobs := make(chan job, 256)
	seen := map[phttp.ConnID]int{}
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Type != phttp.HTTP {
			return
		}
		seen[r.ConnID]++
		w.Detach()
		select {
		case jobs <- job{w, r}:
		default: // never block the loop: a full pool is a test failure
			w.Status = 503
			w.Send()
		}
	}}
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				// The Request belongs to the detached answer: its strings
				// are read here, on the worker, after the handler returned.
				j.w.SetHeader("X-Worker", fmt.Sprint(k))
				fmt.Fprintf(j.w, "%s %s", j.r.Method, j.r.URI)
				if err := j.w.Send(); err != nil {
					t.Errorf("worker Send(%s): %v", j.r.URI, err)
				}
			}
		}()
	}
	s := testserver.Start(t, srv)
	// Stop releases workers blocked in Send; testserver's own cleanup,
	// which runs after this one, waits for Run to return.
	t.Cleanup(func() { s.Stop(); close(jobs); wg.Wait() })
	return s, seen
}

// TestWorkerPoolPipelined sends 10,000 pipelined requests on 2 raw
// connections; 8 workers answer them through detached responses, and every
// answer must come back correct and in request order.
func TestWorkerPoolPipelined(t *testing.T) {
	const conns, perConn = 2, 5000
	s, seen := workerPoolServer(t, 8)
	start := time.Now()
	errs := make(chan error, 2*conns)
	workersSeen := make(chan map[string]int, conns)
	var answered [conns]atomic.Int64
	for c := range conns {
		conn := s.Dial(t, 30*time.Second)
		go func() { // the writer: every request at once, in a few big writes
			var sb strings.Builder
			for i := range perConn {
				sb.WriteString(getRequest(fmt.Sprintf("/c%d/r%d", c, i)))
				if sb.Len() > 32*kib || i == perConn-1 {
					if _, err := io.WriteString(conn, sb.String()); err != nil {
						errs <- fmt.Errorf("conn %d: write: %w", c, err)
						return
					}
					sb.Reset()
				}
			}
			errs <- nil
		}()
		go func() { // the reader: answers in order
			br := bufio.NewReader(conn)
			by := map[string]int{}
			defer func() { workersSeen <- by }()
			for i := range perConn {
				resp, body, err := readResponse(br, "GET")
				if err != nil {
					errs <- fmt.Errorf("conn %d: response %d: %w", c, i, err)
					return
				}
				if want := fmt.Sprintf("GET /c%d/r%d", c, i); resp.StatusCode != 200 || string(body) != want {
					errs <- fmt.Errorf("conn %d: response %d: %d %q, want 200 %q", c, i, resp.StatusCode, body, want)
					return
				}
				by[resp.Header.Get("X-Worker")]++
				answered[c].Add(1)
			}
			errs <- nil
		}()
	}
	for range 2 * conns {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("after 20s, %d and %d of %d answers on the two connections", answered[0].Load(), answered[1].Load(), perConn)
		}
	}
	workers := map[string]int{}
	for range conns {
		for k, n := range <-workersSeen {
			workers[k] += n
		}
	}
	var nconns, total int
	postWait(t, s.Server, func() {
		nconns = len(seen)
		for _, n := range seen {
			total += n
		}
	})
	if nconns != conns || total != conns*perConn {
		t.Errorf("server saw %d requests on %d connections, want %d on %d", total, nconns, conns*perConn, conns)
	}
	t.Logf("%d pipelined requests on %d connections in %v; answers per worker: %v", conns*perConn, conns, time.Since(start).Round(time.Millisecond), workers)
}

// TestWorkerPoolNetHTTP sends 10,000 requests through net/http's client,
// limited to 2 connections, from 16 goroutines; 8 workers answer them.
func TestWorkerPoolNetHTTP(t *testing.T) {
	const clients, perClient, maxConns = 16, 625, 2
	s, seen := workerPoolServer(t, 8)
	tr := &http.Transport{MaxConnsPerHost: maxConns, MaxIdleConnsPerHost: maxConns}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	start := time.Now()
	errs := make(chan error, clients)
	for c := range clients {
		go func() {
			for i := range perClient {
				path := fmt.Sprintf("/n%d/r%d", c, i)
				resp, err := hc.Get(s.URL + path)
				if err != nil {
					errs <- fmt.Errorf("client %d: GET %s: %w", c, path, err)
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := "GET " + path; err != nil || resp.StatusCode != 200 || string(body) != want {
					errs <- fmt.Errorf("client %d: GET %s: %d %q (%v), want 200 %q", c, path, resp.StatusCode, body, err, want)
					return
				}
			}
			errs <- nil
		}()
	}
	for range clients {
		if err := recvTimeout(t, errs, 30*time.Second, "net/http answers"); err != nil {
			t.Fatal(err)
		}
	}
	var nconns, total int
	postWait(t, s.Server, func() {
		nconns = len(seen)
		for _, n := range seen {
			total += n
		}
	})
	// MaxConnsPerHost keeps the client at 2 connections at a time; it may
	// still replace one (net/http drops a connection whose request write
	// it has not seen finish 50 ms after the answer), so only reuse is
	// checked here.
	if total != clients*perClient || nconns > 10 {
		var per map[phttp.ConnID]int
		postWait(t, s.Server, func() { per = maps.Clone(seen) })
		t.Errorf("server saw %d requests on %d connections %v, want %d on a few kept-alive connections", total, nconns, per, clients*perClient)
	}
	t.Logf("%d net/http requests on %d connections in %v", total, nconns, time.Since(start).Round(time.Millisecond))
}
