//go:build linux && !phttp_poll

package phttp_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/phttp-go/phttp"
	"golang.org/x/sys/unix"
)

// A foreign main loop (a UI toolkit's, an agent's) waits on the server's
// descriptor and its next deadline, and calls Step(0) when either comes.
func ExampleServer_PollFD() {
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) { w.WriteString("from the foreign loop") }}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	fd, err := srv.PollFD()
	if err != nil {
		log.Fatal(err) // ErrNotSupported off Linux: use Run on a goroutine instead
	}
	ep, _ := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	defer unix.Close(ep)
	unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, int(fd), &unix.EpollEvent{Events: unix.EPOLLIN})

	go func() {
		a := getBody("http://" + srv.Addr().String() + "/")
		// Post wakes the loop through its descriptor, like any event.
		srv.Post(func() {
			fmt.Println(a)
			srv.Stop() // this Step tears down and returns ErrServerStopped
		})
	}()
	events := make([]unix.EpollEvent, 8) // the foreign loop's own sources would be here too
	for {
		ms := -1
		if d := srv.NextTimeout(); d >= 0 {
			ms = int((d + time.Millisecond - 1) / time.Millisecond)
		}
		unix.EpollWait(ep, events, ms)
		if err := srv.Step(0); errors.Is(err, phttp.ErrServerStopped) {
			break
		}
	}
	// Output: from the foreign loop
}
