package phttp_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/gobwas/ws"
	"github.com/phttp-go/phttp"
)

// start runs srv on a goroutine on a free loopback port and returns its
// address.
func start(srv *phttp.Server) string {
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	go srv.Run()
	return srv.Addr().String()
}

// An upload to disk: only /upload streams its body (every other route
// gets its body whole); a goroutine copies it to a file, and while the
// disk is slower than the client the loop stops reading the socket.
func ExampleRequest_BodyReader() {
	srv := &phttp.Server{
		MaxBodyBytes: 1 << 30,
		StreamBody:   func(r *phttp.Request) bool { return r.Path == "/upload" },
		Handler: func(w *phttp.Response, r *phttp.Request) {
			body := r.BodyReader()
			w.Detach()
			go func() {
				f, err := os.CreateTemp("", "upload-*")
				if err != nil {
					w.Status = 500
					w.Send()
					return
				}
				defer os.Remove(f.Name())
				defer f.Close()
				n, err := io.Copy(f, body)
				if err != nil { // the client went away, or the body was too large
					w.Abort()
					return
				}
				fmt.Fprintf(w, "stored %d bytes", n)
				w.Send()
			}()
		},
	}
	addr := start(srv)
	defer srv.Stop()

	resp, err := http.Post("http://"+addr+"/upload", "application/octet-stream", strings.NewReader(strings.Repeat("x", 3<<20)))
	if err != nil {
		log.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(answer))
	// Output: stored 3145728 bytes
}

// A download: io.Copy from a detached goroutine streams the file with
// back-pressure (sendfile(2) on Linux), and its size becomes the
// Content-Length.
func ExampleResponse_ReadFrom() {
	f, err := os.CreateTemp("", "download-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	f.WriteString("the file's contents\n")
	f.Close()

	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		w.SetHeader("Content-Type", "text/plain; charset=utf-8")
		w.Detach()
		go func() {
			f, err := os.Open(f.Name())
			if err != nil {
				w.Status = 404
				w.Send()
				return
			}
			defer f.Close()
			if _, err := io.Copy(w, f); err != nil {
				return // the client went away
			}
			w.Send()
		}()
	}}
	addr := start(srv)
	defer srv.Stop()

	resp, err := http.Get("http://" + addr + "/file")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.ContentLength, " ", string(body))
	// Output: 20 the file's contents
}

// Cancellation: the work for a detached answer stops when its client goes
// away; context.Cause says why the context ended.
func ExampleRequest_Context() {
	stopped := make(chan error)
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		ctx := r.Context()
		w.Detach()
		go func() {
			<-ctx.Done() // a long computation would select on this
			stopped <- context.Cause(ctx)
		}()
	}}
	addr := start(srv)
	defer srv.Stop()

	c, err := net.Dial("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprint(c, "GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
	c.Close() // the client gives up
	fmt.Println(<-stopped)
	// Output: phttp: connection closed
}

// A protocol of your own after a 101: here, Polyphony's echo example, a
// line protocol. Bytes arrive as Raw events, as the network cuts them.
func ExampleResponse_AcceptUpgrade() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		switch r.Type {
		case phttp.HTTP:
			w.AcceptUpgrade("echo")
			w.SendRaw([]byte("hello, say something\n"))
		case phttp.Raw:
			w.SendRaw(r.Body) // echo the bytes back
		}
	}}
	addr := start(srv)
	defer srv.Stop()

	c, err := net.Dial("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		log.Fatal(err)
	}
	greeting, _ := br.ReadString('\n')
	fmt.Fprint(c, "ping\n")
	echo, _ := br.ReadString('\n')
	fmt.Print(resp.Status, "\n", greeting, echo)
	// Output:
	// 101 Switching Protocols
	// hello, say something
	// ping
}

// WebSocket pages from a dev server on another origin are allowed beside
// the server's own; other origins get 403.
func ExampleServer_allowedOrigins() {
	srv := &phttp.Server{
		AllowedOrigins: []string{"http://localhost:5173"},
		Handler: func(w *phttp.Response, r *phttp.Request) {
			if r.Type == phttp.HTTP {
				w.AcceptWebSocket("")
			}
		},
	}
	addr := start(srv)
	defer srv.Stop()

	for _, origin := range []string{"http://localhost:5173", "http://evil.example"} {
		d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Origin": {origin}})}
		c, _, _, err := d.Dial(context.Background(), "ws://"+addr+"/ws")
		if err == nil {
			c.Close()
		}
		fmt.Println(origin, err == nil)
	}
	// Output:
	// http://localhost:5173 true
	// http://evil.example false
}
