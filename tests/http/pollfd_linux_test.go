//go:build linux && !phttp_poll

package http_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"golang.org/x/sys/unix"
)

// TestForeignLoop: a foreign epoll loop that waits only on PollFD and
// NextTimeout and calls Step(0) serves 100 requests and fires an idle
// timeout on time.
func TestForeignLoop(t *testing.T) {
	const idle = 300 * time.Millisecond
	srv := &phttp.Server{IdleTimeout: idle, Handler: echo}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	fd, err := srv.PollFD()
	if err != nil {
		t.Fatalf("PollFD: %v", err)
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ep)
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, int(fd), &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var spins int
	go func() { // the foreign main loop: it never blocks anywhere but in its own epoll_wait
		events := make([]unix.EpollEvent, 4)
		for {
			ms := -1
			if d := srv.NextTimeout(); d >= 0 {
				ms = int((d + time.Millisecond - 1) / time.Millisecond)
			}
			if _, err := unix.EpollWait(ep, events, ms); err != nil && err != unix.EINTR {
				done <- err
				return
			}
			spins++
			if err := srv.Step(0); err != nil {
				if errors.Is(err, phttp.ErrServerStopped) {
					err = nil
				}
				done <- err
				return
			}
		}
	}()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				path := fmt.Sprintf("/g%d/%d", g, i)
				resp, err := client.Get("http://" + srv.Addr().String() + path)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(body) != echoBody("GET", path, srv.Addr().String(), "") {
					errs <- fmt.Errorf("%s: %q", path, body)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// The idle timeout fires though nobody writes: the foreign loop woke
	// for it because NextTimeout said so.
	c, err := net.DialTimeout("tcp", srv.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, get("/once"))
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(buf); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		if _, err := c.Read(buf); err != nil {
			break
		}
	}
	if took := time.Since(start); took < idle-50*time.Millisecond || took > idle+time.Second {
		t.Errorf("idle connection closed after %v, want about %v", took, idle)
	}
	srv.Stop() // wakes the foreign loop through PollFD: its next Step tears down
	if err := <-done; err != nil {
		t.Fatalf("foreign loop: %v", err)
	}
	t.Logf("%d turns of the foreign loop", spins)
}
