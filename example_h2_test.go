package phttp_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"sync"

	"github.com/phttp-go/phttp"
)

// HTTP/2 without TLS (h2c, prior knowledge) beside HTTP/1.1 on one
// listener: each stream is a Request to the same handler. A TLS server
// speaks HTTP/2 by ALPN without being asked.
func ExampleProtocols() {
	srv := &phttp.Server{
		Protocols: phttp.HTTP1 | phttp.UnencryptedHTTP2,
		Handler: func(w *phttp.Response, r *phttp.Request) {
			fmt.Fprintf(w, "%s %s", r.Proto, r.Path)
		},
	}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	go srv.Run()
	defer srv.Stop()

	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true) // the client speaks h2c
	client := &http.Client{Transport: tr}
	get := func(path string) string {
		resp, err := client.Get("http://" + srv.Addr().String() + path)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(body)
	}
	answers := []string{get("/first")} // the connection
	var wg sync.WaitGroup
	more := make([]string, 3)
	for i := range more {
		wg.Add(1)
		go func() { // three streams at once, on that connection
			defer wg.Done()
			more[i] = get(fmt.Sprintf("/stream/%d", i))
		}()
	}
	wg.Wait()
	answers = append(answers, more...)
	for _, a := range answers {
		fmt.Println(a)
	}
	fmt.Println("connections:", srv.Stats().Accepted)
	// Output:
	// HTTP/2.0 /first
	// HTTP/2.0 /stream/0
	// HTTP/2.0 /stream/1
	// HTTP/2.0 /stream/2
	// connections: 1
}
