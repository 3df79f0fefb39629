package http11_test

import (
	"fmt"

	"github.com/phttp-go/phttp/http11"
)

func Example() {
	// Bytes arrive in pieces; the connection's buffer grows and Parse
	// resumes where it stopped.
	wire := "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5\r\nhello\r\n6;note=x\r\n world\r\n0\r\n\r\n"
	var (
		p    http11.Parser
		h    http11.Head // reused across requests: no allocation once warm
		n    int
		err  error
		conn []byte
	)
	p.Reset(&h)
	for _, piece := range []string{wire[:20], wire[20:]} {
		conn = append(conn, piece...)
		if n, err = p.Parse(conn); err != nil || n > 0 {
			break
		}
	}
	if err != nil {
		fmt.Println("answer", err.(*http11.Error).Status)
		return
	}
	fmt.Printf("%s %s chunked=%v host=%s\n", h.Method.Bytes(conn), h.Target.Bytes(conn), h.Chunked, h.Host.Bytes(conn))

	var d http11.ChunkedDecoder
	body := conn[n:]
	for {
		used, data, done, err := d.Decode(body)
		if err != nil {
			fmt.Println("answer", err.(*http11.Error).Status)
			return
		}
		if len(data) > 0 {
			fmt.Printf("%q ", data) // a sub-slice of conn: no copy
		}
		body = body[used:]
		if done || used == 0 {
			break
		}
	}
	fmt.Println()
	// Output:
	// POST /upload chunked=true host=localhost
	// "hello" " world"
}
