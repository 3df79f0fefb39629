package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// cmdWait polls GET /plaintext until it answers "Hello, World!", so that
// run.sh starts loading a server only once it serves.
func cmdWait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	fs.Parse(args)

	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: clientTLS()}}
	deadline := time.Now().Add(*timeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := client.Get(scheme() + "://" + *addr + "/plaintext")
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
			resp.Body.Close()
			if resp.StatusCode == 200 && string(body) == "Hello, World!" {
				return nil
			}
			err = fmt.Errorf("status %d, body %q", resp.StatusCode, body)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not serving after %v: %v", *addr, *timeout, last)
}
