package phttp_test

import (
	"expvar"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/phttp-go/phttp"
)

// get fetches url and returns the body.
func getBody(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Pause stops accepting (connections wait in the kernel's backlog), Resume
// accepts again; connections already open go on meanwhile.
func ExampleServer_Pause() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) { w.WriteString("served") }}
	addr := start(srv)
	defer srv.Stop()

	srv.Pause()
	answer := make(chan string)
	go func() { answer <- getBody("http://" + addr + "/") }() // waits in the backlog
	srv.Resume()
	fmt.Println(<-answer)
	// Output: served
}

// SetHandler swaps the handler from any goroutine, from the next event on:
// a reload without a restart.
func ExampleServer_SetHandler() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) { w.WriteString("v1") }}
	addr := start(srv)
	defer srv.Stop()

	fmt.Println(getBody("http://" + addr + "/"))
	srv.SetHandler(func(w *phttp.Response, r *phttp.Request) { w.WriteString("v2") })
	fmt.Println(getBody("http://" + addr + "/"))
	// Output:
	// v1
	// v2
}

// Stats are cheap counters to keep on in production; Stats.String is JSON,
// so expvar can publish them as they are.
func ExampleServer_Stats() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) { w.WriteString("ok") }}
	addr := start(srv)
	defer srv.Stop()
	expvar.Publish("phttp", expvar.Func(func() any { return srv.Stats() }))

	for range 3 {
		getBody("http://" + addr + "/")
	}
	st := srv.Stats()
	fmt.Println(st.Requests, st.Accepted > 0)
	// Output: 3 true
}

// AddConn serves a connection accepted elsewhere (here by a plain
// net.Listener; inetd or a descriptor passed over a unix socket work the
// same way). The server needs no listener of its own.
func ExampleServer_AddConn() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		fmt.Fprintf(w, "adopted, reached at the listener's address: %v", r.LocalAddr.String() == l.Addr().String())
	}}
	answer := make(chan string)
	go func() { answer <- getBody("http://" + l.Addr().String() + "/") }()
	c, err := l.Accept()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := srv.AddConn(c); err != nil {
		log.Fatal(err)
	}
	go srv.Run() // after the first AddConn: a server with neither listener nor connection has nothing to run
	defer srv.Stop()
	fmt.Println(<-answer)
	// Output: adopted, reached at the listener's address: true
}

// A Trailer carries what is known only once the body went out, a checksum
// here: the answer goes chunked, and the trailer follows the last chunk.
func ExampleResponse_Trailer() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		w.SetHeader("Trailer", "X-Checksum") // announced in the head, as net/http's handlers do
		w.Detach()
		go func() {
			sum := crc32.NewIEEE()
			for _, part := range []string{"one ", "two ", "three"} {
				w.WriteString(part)
				sum.Write([]byte(part))
				w.Flush()
			}
			w.Trailer = phttp.Header{{Name: "X-Checksum", Value: fmt.Sprintf("%08x", sum.Sum32())}}
			w.Send()
		}()
	}}
	addr := start(srv)
	defer srv.Stop()

	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body) // the trailer is read with the end of the body
	resp.Body.Close()
	fmt.Println(string(body), resp.TransferEncoding, resp.Trailer.Get("X-Checksum"))
	// Output: one two three [chunked] 7825d3d7
}
