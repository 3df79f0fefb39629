package ws_test

import (
	"errors"
	"fmt"

	gws "github.com/gobwas/ws"
	"github.com/phttp-go/phttp/ws"
)

// An event loop keeps the bytes a socket delivered in a pending buffer,
// hands them to the Reader, answers pings and closes, and keeps whatever the
// Reader left for the next read.
func Example() {
	// What arrived from a browser: a masked "Hello" (RFC 6455 §5.7), a
	// masked ping, and a masked close 1000 — cut in the middle of the ping.
	reads := [][]byte{
		{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58, 0x89, 0x81},
		{0x37, 0xfa, 0x21, 0x3d, 0x47, 0x88, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x34, 0x12},
	}

	var r ws.Reader
	var pending, out []byte
	for _, b := range reads {
		pending = append(pending, b...)
		for {
			n, ev, err := r.Read(pending)
			pending = pending[n:]
			var pe ws.ProtocolError
			if errors.As(err, &pe) {
				out = ws.AppendClose(out, pe.Code, pe.Reason) // then close the socket
				fmt.Println("fail:", pe.Code)
				return
			}
			if ev.Kind == ws.None {
				break // need more: keep pending for the next read
			}
			switch ev.Kind {
			case ws.Text, ws.Binary:
				fmt.Printf("%v %q\n", ev.Kind, ev.Payload) // valid until the next Read
			case ws.Ping:
				out = ws.AppendFrame(out, gws.OpPong, true, ev.Payload)
				fmt.Printf("ping %q\n", ev.Payload)
			case ws.Close:
				out = ws.AppendClose(out, ev.Code, "") // echo the code
				fmt.Println("close", ev.Code)
			}
		}
		pending = append([]byte(nil), pending...) // the loop compacts its buffer
	}
	fmt.Printf("to send: % x\n", out)
	// Output:
	// Text "Hello"
	// ping "p"
	// close 1000
	// to send: 8a 01 70 88 02 03 e8
}
