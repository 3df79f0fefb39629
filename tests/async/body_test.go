package async

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestAnswerBeforeBodyEnds: with StreamBodies the handler answers 402 once
// it has seen 20 bytes of a body the client sends slowly. The answer must
// reach the client while the body is still being sent; the rest of the
// body is then discarded and the connection either serves the next
// request or closes cleanly (the 402 whole, then EOF).
func TestAnswerBeforeBodyEnds(t *testing.T) {
	const bodyLen, first, piece = 100, 40, 5
	for _, chunked := range []bool{false, true} {
		t.Run(map[bool]string{false: "content-length", true: "chunked"}[chunked], func(t *testing.T) {
			seen := map[phttp.ConnID]int{} // body bytes per connection; owned by the loop
			var calls atomic.Int32
			s := testserver.Start(t, &phttp.Server{StreamBodies: true, Handler: func(w *phttp.Response, r *phttp.Request) {
				if r.Path != "/pay" {
					if r.BodyDone {
						w.WriteString("next ok")
					}
					return
				}
				calls.Add(1)
				seen[r.ConnID] += len(r.Body)
				if seen[r.ConnID] >= 20 {
					delete(seen, r.ConnID)
					w.Status = 402
					w.WriteString("payment required")
					return
				}
				if r.BodyDone {
					t.Errorf("handler saw the end of the body without answering")
				}
			}})
			conn := s.Dial(t, 20*time.Second)
			if chunked {
				io.WriteString(conn, "POST /pay HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
			} else {
				fmt.Fprintf(conn, "POST /pay HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n", bodyLen)
			}
			body := bytes.Repeat([]byte("0123456789"), bodyLen/10)
			writePiece := func(p []byte) error {
				if chunked {
					p = fmt.Appendf(nil, "%x\r\n%s\r\n", len(p), p)
				}
				_, err := conn.Write(p)
				return err
			}
			// Send the first 40 bytes slowly, then wait for the answer.
			answered := make(chan struct{})
			sendErr := make(chan error, 1)
			go func() {
				sendErr <- func() error {
					for off := 0; off < bodyLen; off += piece {
						if off == first {
							select {
							case <-answered:
							case <-time.After(10 * time.Second):
								return fmt.Errorf("no answer after %d body bytes", first)
							}
						}
						if err := writePiece(body[off : off+piece]); err != nil {
							return err
						}
						if off < first {
							time.Sleep(10 * time.Millisecond) // a slow client, not a synchronisation
						}
					}
					if chunked {
						_, err := io.WriteString(conn, "0\r\n\r\n")
						return err
					}
					return nil
				}()
			}()
			br := bufio.NewReader(conn)
			resp, got, err := readResponse(br, "POST")
			if err != nil {
				t.Fatal(err)
			}
			close(answered)
			if resp.StatusCode != 402 || string(got) != "payment required" {
				t.Fatalf("answer %d %q, want 402 %q", resp.StatusCode, got, "payment required")
			}
			if err := recvTimeout(t, sendErr, 10*time.Second, "the rest of the body"); err != nil {
				t.Fatalf("sending the rest of the body: %v", err)
			}
			t.Logf("402 after %d handler calls; Connection: %q", calls.Load(), resp.Header.Get("Connection"))
			io.WriteString(conn, getRequest("/next"))
			resp2, got2, err := readResponse(br, "GET")
			switch {
			case resp.Close:
				// The server said it closes: nothing more, and a clean end.
				if err == nil || !isEOF(err) {
					t.Errorf("after the 402 with Connection: close: %v %q, %v; want EOF", resp2, got2, err)
				}
			case err != nil:
				t.Errorf("next request after the early 402: %v", err)
			case resp2.StatusCode != 200 || string(got2) != "next ok":
				t.Errorf("next request after the early 402: %d %q", resp2.StatusCode, got2)
			}
		})
	}
}

func isEOF(err error) bool {
	for err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// TestChunkedUploadEcho: a chunked upload sent in many small chunks reaches
// a StreamBodies handler in pieces; the handler keeps them and, at the
// last piece, detaches and hands them to a goroutine that echoes each as
// its own Flush. The client reads the echo slowly (the queue is 64 KiB) and
// it must come back chunked and byte-exact.
func TestChunkedUploadEcho(t *testing.T) {
	const total = 1 * mib
	type upload struct{ pieces [][]byte }
	uploads := map[phttp.ConnID]*upload{} // owned by the loop
	var pieces atomic.Int64
	echoErr := make(chan error, 1)
	s := testserver.Start(t, &phttp.Server{StreamBodies: true, SendQueueBytes: 64 * kib, Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path != "/echo" || !r.Chunked {
			w.Status = 400
			return
		}
		u := uploads[r.ConnID]
		if u == nil {
			u = &upload{}
			uploads[r.ConnID] = u
		}
		if len(r.Body) > 0 {
			// Body is valid only until the handler returns: keep a copy.
			u.pieces = append(u.pieces, bytes.Clone(r.Body))
		}
		if !r.BodyDone {
			return // nothing written: nothing sent, the next piece comes
		}
		delete(uploads, r.ConnID)
		pieces.Store(int64(len(u.pieces)))
		w.SetHeader("Content-Type", "application/octet-stream")
		w.Detach()
		go func() {
			for _, p := range u.pieces {
				w.Write(p)
				if err := w.Flush(); err != nil {
					echoErr <- err
					return
				}
			}
			echoErr <- w.Send()
		}()
	}})
	conn := s.Dial(t, 30*time.Second)
	sendErr := make(chan error, 1)
	go func() {
		sendErr <- func() error {
			bw := bufio.NewWriterSize(conn, 4*kib)
			io.WriteString(bw, "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
			for off, i := 0, 0; off < total; i++ {
				n := min(1+(i*7919)%(8*kib), total-off) // 1 B to 8 KiB
				fmt.Fprintf(bw, "%x\r\n", n)
				bw.Write(appendPattern(nil, int64(off), 11, n))
				io.WriteString(bw, "\r\n")
				off += n
				if i%16 == 0 {
					if err := bw.Flush(); err != nil {
						return err
					}
				}
			}
			io.WriteString(bw, "0\r\n\r\n")
			return bw.Flush()
		}()
	}()
	br := bufio.NewReaderSize(conn, 1*kib)
	resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("echo answer %d, Transfer-Encoding %v; want 200 chunked", resp.StatusCode, resp.TransferEncoding)
	}
	// Read slowly: 1 KiB at a time, resting 1 ms every 32 KiB.
	n, err := readPatternBody(resp.Body, 11, 1*kib, func(n int64) {
		if n%(32*kib) < kib {
			time.Sleep(time.Millisecond)
		}
	})
	if err != nil || n != total {
		t.Fatalf("echo: %d of %d bytes: %v", n, total, err)
	}
	if err := recvTimeout(t, sendErr, 10*time.Second, "the upload"); err != nil {
		t.Fatalf("upload: %v", err)
	}
	if err := recvTimeout(t, echoErr, 10*time.Second, "the echo goroutine"); err != nil {
		t.Fatalf("echo goroutine: %v", err)
	}
	if pieces.Load() < 2 {
		t.Errorf("the body reached the handler in %d piece(s); want it streamed in several", pieces.Load())
	}
	t.Logf("%d bytes echoed from %d pieces", n, pieces.Load())
	// The connection goes on.
	io.WriteString(conn, "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
	_, got, err := readResponse(br, "POST")
	if err != nil || string(got) != "abc" {
		t.Errorf("second echo on the connection: %q, %v", got, err)
	}
}
