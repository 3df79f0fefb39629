package async

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestPipelinedDetachedOrder: two pipelined requests, the first answered
// by a detached response that a goroutine finishes later, the second
// synchronously. The second answer must wait until the first is finished
// (its handler call too: later requests wait until Send).
func TestPipelinedDetachedOrder(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var events []string
	logEvent := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
	slowDone := make(chan error, 1)
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		logEvent("handler " + r.Path)
		switch r.Path {
		case "/slow":
			w.Detach()
			go func() {
				slowDone <- func() error {
					w.WriteString("slow part 1;")
					if err := w.Flush(); err != nil {
						return err
					}
					select {
					case <-release:
					case <-time.After(10 * time.Second):
						return fmt.Errorf("never released")
					}
					w.WriteString("slow part 2")
					logEvent("send /slow")
					return w.Send()
				}()
			}()
		default:
			w.WriteString("fast")
		}
	}})
	conn := s.Dial(t, 20*time.Second)
	io.WriteString(conn, getRequest("/slow")+getRequest("/fast"))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.TransferEncoding) == 0 {
		t.Fatalf("detached answer with a Flush is not chunked: %v", resp.Header)
	}
	part := make([]byte, len("slow part 1;"))
	if _, err := io.ReadFull(resp.Body, part); err != nil || string(part) != "slow part 1;" {
		t.Fatalf("first flushed piece: %q, %v", part, err)
	}
	// The first answer is half sent and held: nothing of the second may
	// come. (The deadline makes the read give up; no byte must arrive.)
	conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := br.Read(make([]byte, 256)); n > 0 || err == nil {
		t.Fatalf("while /slow is unfinished, read %d more bytes (%v)", n, err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	close(release)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "slow part 2" {
		t.Fatalf("rest of /slow: %q, %v", rest, err)
	}
	if err := recvTimeout(t, slowDone, 5*time.Second, "/slow to finish"); err != nil {
		t.Fatal(err)
	}
	resp2, body2, err := readResponse(br, "GET")
	if err != nil || resp2.StatusCode != 200 || string(body2) != "fast" {
		t.Fatalf("second answer: %v %q, %v", resp2, body2, err)
	}
	mu.Lock()
	got := strings.Join(events, ", ")
	mu.Unlock()
	if want := "handler /slow, send /slow, handler /fast"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestRaceFlushAndPost runs 64 goroutines that each stream a detached
// answer to one of 64 connections and, between Flushes, post functions
// that update state the handler owns (a map, with no lock). Run it with
// -race: the detector checks that Post really confines that state to the
// loop goroutine.
func TestRaceFlushAndPost(t *testing.T) {
	const conns, flushes, piece = 64, 40, 1 * kib
	type entry struct {
		flushes int
		path    string
	}
	state := map[phttp.ConnID]*entry{} // the handler's own; no lock
	totalPosted := 0                   // ditto
	var srv *phttp.Server
	streamErrs := make(chan error, conns)
	srv = &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		id := r.ConnID
		state[id] = &entry{path: r.Path}
		w.Detach()
		go func() {
			streamErrs <- func() error {
				for i := range flushes {
					w.Body = appendPattern(w.Body[:0], int64(i*piece), int(id), piece)
					if err := w.Flush(); err != nil {
						return err
					}
					if err := srv.Post(func() {
						state[id].flushes++
						totalPosted++
					}); err != nil {
						return err
					}
				}
				if err := w.Send(); err != nil {
					return err
				}
				return srv.Post(func() {
					if e := state[id]; e.flushes != flushes {
						t.Errorf("conn %d: %d flushes counted on the loop, want %d", id, e.flushes, flushes)
					}
					delete(state, id)
				})
			}()
		}()
	}}
	s := testserver.Start(t, srv)
	ids := make(chan phttp.ConnID, conns)
	clientErrs := make(chan error, conns)
	for i := range conns {
		conn := s.Dial(t, 30*time.Second)
		go func() {
			clientErrs <- func() error {
				io.WriteString(conn, getRequest(fmt.Sprintf("/stream/%d", i)))
				br := bufio.NewReaderSize(conn, 4*kib)
				resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
				if err != nil {
					return err
				}
				body, err := io.ReadAll(resp.Body)
				if err != nil || len(body) != flushes*piece {
					return fmt.Errorf("client %d: %d bytes, %v", i, len(body), err)
				}
				// The stream's seed is its ConnID: find it from the first byte.
				for id := phttp.ConnID(1); id < 10000; id++ {
					if checkPattern(body, 0, int(id)) < 0 {
						ids <- id
						return nil
					}
				}
				return fmt.Errorf("client %d: body is no stream's pattern", i)
			}()
		}()
	}
	for range conns {
		if err := recvTimeout(t, clientErrs, 30*time.Second, "the clients"); err != nil {
			t.Error(err)
		}
		if err := recvTimeout(t, streamErrs, 30*time.Second, "the streams"); err != nil {
			t.Error(err)
		}
	}
	seen := map[phttp.ConnID]bool{}
	for range len(ids) {
		seen[<-ids] = true
	}
	if len(seen) != conns {
		t.Errorf("%d distinct streams among %d clients", len(seen), conns)
	}
	// Posts from one goroutine run in order: the delete posted last ran
	// after every count, so the map is empty and the total complete.
	var left, total int
	postWait(t, srv, func() { left, total = len(state), totalPosted })
	if left != 0 || total != conns*flushes {
		t.Errorf("after the streams: %d entries left, %d posts counted; want 0 and %d", left, total, conns*flushes)
	}
}

// TestShutdownFinishesDetached: Shutdown lets a detached answer in flight
// finish, whether its head is out already (then the connection closes
// after it) or not (then the head says Connection: close), and returns
// once the connection is gone.
func TestShutdownFinishesDetached(t *testing.T) {
	for _, flushFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "head-sent", false: "head-pending"}[flushFirst], func(t *testing.T) {
			release := make(chan struct{})
			detached := make(chan struct{})
			streamErr := make(chan error, 1)
			s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
				w.Detach()
				go func() {
					streamErr <- func() error {
						if flushFirst {
							w.WriteString("first;")
							if err := w.Flush(); err != nil {
								return err
							}
						}
						close(detached)
						<-release
						w.Body = appendPattern(w.Body, 0, 4, 256*kib)
						return w.Send()
					}()
				}()
			}})
			conn := s.Dial(t, 10*time.Second)
			io.WriteString(conn, getRequest("/in-flight"))
			recvTimeout(t, detached, 5*time.Second, "the handler")
			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				shut <- s.Shutdown(ctx)
			}()
			// Shutdown must wait for the answer in flight.
			select {
			case err := <-shut:
				t.Fatalf("Shutdown returned %v with an answer in flight", err)
			case <-time.After(200 * time.Millisecond):
			}
			close(release)
			if err := recvTimeout(t, streamErr, 5*time.Second, "Send"); err != nil {
				t.Fatalf("finishing the answer during Shutdown: %v", err)
			}
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			want := 256 * kib
			if flushFirst {
				want += len("first;")
			}
			if err != nil || len(body) != want || checkPattern(body[want-256*kib:], 0, 4) >= 0 {
				t.Fatalf("answer: %d of %d bytes, %v", len(body), want, err)
			}
			if !flushFirst && !resp.Close {
				t.Errorf("answer started during Shutdown has no Connection: close (%q)", resp.Header.Get("Connection"))
			}
			if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Errorf("after the answer: %d bytes, %v; want EOF", n, err)
			}
			conn.Close() // the server lingers until the client closes too
			if err := recvTimeout(t, shut, 10*time.Second, "Shutdown"); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
}
