package phttp

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestTokensAfterManyConnections: connection tokens stay unambiguous for
// the server's whole life. With the ID counter forced past 2^31 and 2^32
// (where a generation taken from the ID would reach the listener bit, or
// wrap), every new connection is still served, and the listener still
// accepts.
func TestTokensAfterManyConnections(t *testing.T) {
	for _, start := range []ConnID{1<<31 - 3, 1<<32 - 3, 1<<63 - 3} {
		srv := &Server{Handler: func(w *Response, r *Request) { w.WriteString("ok") }}
		if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		srv.nextID.Store(uint64(start)) // before Run: no connection yet
		done := make(chan error, 1)
		go func() { done <- srv.Run() }()
		for i := range 6 {
			c, err := net.DialTimeout("tcp", srv.Addr().String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
			got, err := io.ReadAll(c)
			c.Close()
			if err != nil || len(got) < 2 || string(got[len(got)-2:]) != "ok" {
				t.Fatalf("IDs from %d: connection %d got %q, %v", start, i, got, err)
			}
		}
		srv.Stop()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
}

// TestTokenLayout: a connection's token never has the listener bit, and
// two connections in one slot differ while their IDs differ in the low 31
// bits.
func TestTokenLayout(t *testing.T) {
	for _, id := range []ConnID{1, 1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32, 1<<64 - 1} {
		c := &conn{id: id, slot: 7, gen: uint32(id) & genMask}
		if tok := c.token(); tok&listenerToken != 0 || uint32(tok) != 7 {
			t.Errorf("id %#x: token %#x", id, tok)
		}
	}
}
