package stdhttp_test

import (
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/stdhttp"
)

// A net/http application (a ServeMux with method and wildcard patterns)
// served by phttp: each request's ServeHTTP runs on a goroutine of its
// own, so handlers may block.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s", r.PathValue("name"))
	})
	srv := &phttp.Server{Handler: stdhttp.Handler(mux), StreamBodies: true}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	go srv.Run()
	defer srv.Stop()

	resp, err := http.Get("http://" + srv.Addr().String() + "/hello/gopher")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 hello, gopher
}

// Native handlers and net/http ones side by side: the loop answers /api
// itself and hands the rest to http.FileServer (Range, If-Modified-Since,
// index pages and MIME types as net/http serves them).
func ExampleOnLoop() {
	files := stdhttp.Handler(http.FileServer(http.Dir(".")))
	status := stdhttp.OnLoop(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path == "/api/status" {
			status(w, r)
			return
		}
		files(w, r)
	}}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	go srv.Run()
	defer srv.Stop()

	resp, err := http.Get("http://" + srv.Addr().String() + "/api/status")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Header.Get("Content-Type"), string(body))
	// Output: application/json {"ok":true}
}
