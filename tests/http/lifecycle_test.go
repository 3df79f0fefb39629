package http_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// serverRun is a Run on its own goroutine whose end the test can await
// (testserver.Running's done channel is for StopAndWait alone).
type serverRun struct {
	s    *phttp.Server
	err  error
	done chan struct{} // closed when Run has returned; err is set then
}

// runServer runs s (already listening) on a new goroutine and stops it when
// the test ends.
func runServer(t testing.TB, s *phttp.Server) *serverRun {
	r := &serverRun{s: s, done: make(chan struct{})}
	go func() {
		r.err = s.Run()
		close(r.done)
	}()
	t.Cleanup(func() {
		s.Stop()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return within 10 s of Stop")
		}
	})
	return r
}

// wait waits at most d for Run to return and reports its error.
func (r *serverRun) wait(t testing.TB, d time.Duration) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(d):
		t.Fatalf("Run did not return within %v", d)
	}
	return nil
}

// skipWithoutUnixSockets skips where the OS refuses AF_UNIX sockets (wine
// does; Windows 10 and later have them).
func skipWithoutUnixSockets(t *testing.T) {
	t.Helper()
	dir, err := os.MkdirTemp("", "phttp-probe")
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: its cleanup fails under wine once a unix socket was tried.
	defer os.RemoveAll(dir)
	l, err := net.Listen("unix", dir+"/probe.sock")
	if err != nil {
		t.Skipf("no unix sockets here: %v", err)
	}
	l.Close()
}

func ipv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func unixClient(path string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}

func unixExchange(t testing.TB, path, req string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		t.Fatalf("dial unix: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, req)
	raw, _ := readToEnd(c)
	return raw
}

func httpGet(t testing.TB, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// TestListenNetworks: Listen on tcp, tcp4, tcp6 and unix with port 0; Addr
// reports the address; Stop makes Run return nil.
func TestListenNetworks(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		{"tcp", "127.0.0.1:0"},
		{"tcp4", "127.0.0.1:0"},
		{"tcp6", "[::1]:0"},
		{"tcp", "[::1]:0"},
		{"unix", ""},
	} {
		t.Run(tc.network+" "+tc.addr, func(t *testing.T) {
			if strings.HasPrefix(tc.addr, "[::1]") && !ipv6Loopback() {
				t.Skip("[::1] is not available on this machine")
			}
			addr := tc.addr
			if tc.network == "unix" {
				skipWithoutUnixSockets(t)
				addr = t.TempDir() + "/s.sock"
			}
			s := &phttp.Server{Handler: echo}
			if a := s.Addr(); a != nil {
				t.Errorf("Addr() before Listen = %v, want nil", a)
			}
			if err := s.Listen(tc.network, addr); err != nil {
				t.Fatalf("Listen: %v", err)
			}
			a := s.Addr()
			if a == nil {
				t.Fatal("Addr() = nil after Listen")
			}
			client := testserver.Client()
			url := "http://" + a.String()
			switch tc.network {
			case "unix":
				if a.String() != addr {
					t.Errorf("Addr() = %q, want %q", a.String(), addr)
				}
				client = unixClient(addr)
				url = "http://localhost"
			default:
				ta, ok := a.(*net.TCPAddr)
				if !ok || ta.Port == 0 || !ta.IP.IsLoopback() {
					t.Errorf("Addr() = %#v, want a loopback TCP address with a port", a)
				}
			}
			defer client.CloseIdleConnections()
			r := runServer(t, s)
			for i := range 3 {
				code, body := httpGet(t, client, fmt.Sprintf("%s/n%d", url, i))
				if code != 200 || !strings.HasPrefix(body, fmt.Sprintf("GET /n%d ", i)) {
					t.Errorf("%d %q", code, body)
				}
			}
			s.Stop()
			if err := r.wait(t, 5*time.Second); err != nil {
				t.Errorf("Run returned %v after Stop, want nil", err)
			}
		})
	}
}

// TestListenErrors: unknown networks and bad addresses fail at Listen; Run
// and Step without a listener fail at once.
func TestListenErrors(t *testing.T) {
	s := &phttp.Server{}
	for _, tc := range []struct{ network, addr string }{
		{"udp", "127.0.0.1:0"},
		{"ip", "127.0.0.1"},
		{"tcp", "127.0.0.1:99999"},
		{"tcp", "256.0.0.1:0"},
	} {
		if err := s.Listen(tc.network, tc.addr); err == nil {
			t.Errorf("Listen(%q, %q) succeeded", tc.network, tc.addr)
		}
	}
	// An address in use.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := (&phttp.Server{}).Listen("tcp", l.Addr().String()); err == nil {
		t.Errorf("Listen on an address in use succeeded")
	}
	done := make(chan error, 2)
	go func() { done <- (&phttp.Server{}).Run() }()
	go func() { done <- (&phttp.Server{}).Step(time.Second) }()
	for range 2 {
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("Run/Step without a listener returned nil")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run/Step without a listener blocked")
		}
	}
}

// TestServeListener: Serve adopts a listener; the server closes it when it
// stops. A listener without a socket is refused.
func TestServeListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &phttp.Server{Handler: echo}
	if err := s.Serve(l); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if s.Addr().String() != l.Addr().String() {
		t.Errorf("Addr() = %v, want %v", s.Addr(), l.Addr())
	}
	r := runServer(t, s)
	client := testserver.Client()
	defer client.CloseIdleConnections()
	if code, _ := httpGet(t, client, "http://"+l.Addr().String()+"/served"); code != 200 {
		t.Errorf("status %d", code)
	}
	s.Stop()
	if err := r.wait(t, 5*time.Second); err != nil {
		t.Errorf("Run: %v", err)
	}
	l.(*net.TCPListener).SetDeadline(time.Now().Add(time.Second))
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the adopted listener is still open after Stop (Accept: %v)", err)
	}
	if c, err := net.DialTimeout("tcp", l.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Errorf("dial after Stop succeeded")
	}

	if err := (&phttp.Server{}).Serve(fakeListener{}); err == nil {
		t.Errorf("Serve accepted a listener without a socket")
	}
}

type fakeListener struct{}

func (fakeListener) Accept() (net.Conn, error) { return nil, errors.New("fake") }
func (fakeListener) Close() error              { return nil }
func (fakeListener) Addr() net.Addr            { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// TestServeSeveralListeners: Listen may be called more than once; Addr is
// the first.
func TestServeSeveralListeners(t *testing.T) {
	s := &phttp.Server{Handler: echo}
	if err := s.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	first := s.Addr().String()
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(l2); err != nil {
		t.Fatal(err)
	}
	if s.Addr().String() != first {
		t.Errorf("Addr() = %v, want the first listener %v", s.Addr(), first)
	}
	runServer(t, s)
	client := testserver.Client()
	defer client.CloseIdleConnections()
	for _, a := range []string{first, l2.Addr().String()} {
		if code, _ := httpGet(t, client, "http://"+a+"/"); code != 200 {
			t.Errorf("%s: %d", a, code)
		}
	}
}

// TestListenAndRunMethod: Server.ListenAndRun with port 0 serves until Stop.
func TestListenAndRunMethod(t *testing.T) {
	s := &phttp.Server{Handler: echo}
	done := make(chan error, 1)
	go func() { done <- s.ListenAndRun("127.0.0.1:0") }()
	waitUntil(t, 5*time.Second, "ListenAndRun to listen", func() bool { return s.Addr() != nil })
	client := testserver.Client()
	defer client.CloseIdleConnections()
	if code, _ := httpGet(t, client, "http://"+s.Addr().String()+"/"); code != 200 {
		t.Errorf("status %d", code)
	}
	s.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndRun returned %v after Stop", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndRun did not return after Stop")
	}
	if err := (&phttp.Server{}).ListenAndRun("127.0.0.1:99999"); err == nil {
		t.Errorf("ListenAndRun on a bad address returned nil")
	}
}

// TestListenAndRunFunc: the package-level ListenAndRun serves with h. It
// cannot be stopped: the server lives until the test binary exits.
func TestListenAndRunFunc(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	done := make(chan error, 1)
	go func() { done <- phttp.ListenAndRun(addr, echo) }()
	var c net.Conn
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("ListenAndRun returned %v", err)
		default:
		}
		c, err = net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ListenAndRun never listened on %s: %v", addr, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	resp, body := roundTrip(t, c, bufio.NewReader(c), get("/func"), "GET")
	if resp.StatusCode != 200 || body != echoBody("GET", "/func", "localhost", "") {
		t.Errorf("%d %q", resp.StatusCode, body)
	}
	if err := phttp.ListenAndRun(addr, echo); err == nil {
		t.Errorf("a second ListenAndRun on the same address returned nil")
	}
}

// TestStep: the test goroutine drives the loop with Step; posted functions
// run there; Step after Stop returns ErrServerStopped.
func TestStep(t *testing.T) {
	handlerGoroutine := make(chan bool, 10)
	var onStepper bool // written by the handler and posted functions, read here: the race detector checks they run on this goroutine
	s := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		onStepper = true
		handlerGoroutine <- true
		echo(w, r)
	}}
	if err := s.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	url := "http://" + s.Addr().String()
	type result struct {
		code int
		body string
		err  error
	}
	results := make(chan result, 1)
	client := testserver.Client()
	defer client.CloseIdleConnections()
	go func() {
		var rs []string
		for i := range 3 {
			resp, err := client.Get(fmt.Sprintf("%s/step%d", url, i))
			if err != nil {
				results <- result{err: err}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			rs = append(rs, string(b))
			if resp.StatusCode != 200 {
				results <- result{code: resp.StatusCode}
				return
			}
		}
		results <- result{code: 200, body: strings.Join(rs, "|")}
	}()
	var res result
	got := false
	start := time.Now()
	for i := 0; !got && i < 5000 && time.Since(start) < 10*time.Second; i++ {
		if err := s.Step(10 * time.Millisecond); err != nil {
			t.Fatalf("Step: %v", err)
		}
		select {
		case res = <-results:
			got = true
		default:
		}
	}
	if !got {
		t.Fatal("the client got no answer while Step drove the loop")
	}
	if res.err != nil || res.code != 200 || strings.Count(res.body, "GET /step") != 3 {
		t.Fatalf("client: %+v", res)
	}
	if !onStepper || len(handlerGoroutine) != 3 {
		t.Errorf("handler calls: %d", len(handlerGoroutine))
	}
	// Post from another goroutine; the function runs inside a later Step.
	ran := make(chan struct{})
	go func() {
		if err := s.Post(func() { onStepper = false; close(ran) }); err != nil {
			t.Errorf("Post: %v", err)
		}
	}()
	posted := false
	for i := 0; !posted && i < 500; i++ {
		s.Step(10 * time.Millisecond)
		select {
		case <-ran:
			posted = true
		default:
		}
	}
	if !posted || onStepper {
		t.Errorf("posted function did not run within Step")
	}
	// Step(0) polls and returns at once.
	start = time.Now()
	if err := s.Step(0); err != nil {
		t.Errorf("Step(0): %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Step(0) took %v", took)
	}
	// Step with a timeout and nothing to do returns after about that long.
	start = time.Now()
	s.Step(50 * time.Millisecond)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Step(50ms) took %v", took)
	}
	s.Stop()
	if err := s.Step(10 * time.Millisecond); !errors.Is(err, phttp.ErrServerStopped) {
		t.Errorf("Step after Stop: %v, want ErrServerStopped", err)
	}
	if err := s.Post(func() {}); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("Post after Stop: %v, want ErrClosed", err)
	}
	if c, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Errorf("dial after Stop succeeded: the listener is still open")
	}
}

// TestConnections counts open client connections.
func TestConnections(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: echo})
	if n := s.Connections(); n != 0 {
		t.Errorf("Connections() = %d before any client", n)
	}
	var conns []net.Conn
	for i := range 5 {
		c := s.Dial(t, 10*time.Second)
		roundTrip(t, c, bufio.NewReader(c), get("/"), "GET")
		conns = append(conns, c)
		if n := s.Connections(); n != i+1 {
			t.Errorf("Connections() = %d with %d clients", n, i+1)
		}
	}
	conns[0].Close()
	conns[1].Close()
	waitUntil(t, 5*time.Second, "Connections() == 3", func() bool { return s.Connections() == 3 })
	// A Connection: close request leaves too.
	br := bufio.NewReader(conns[2])
	roundTrip(t, conns[2], br, getClose("/"), "GET")
	if _, how := readToEnd(br); how != endEOF {
		t.Errorf("after Connection: close: %v", how)
	}
	conns[2].Close()
	waitUntil(t, 5*time.Second, "Connections() == 2", func() bool { return s.Connections() == 2 })
	for _, c := range conns[3:] {
		c.Close()
	}
	waitUntil(t, 5*time.Second, "Connections() == 0", func() bool { return s.Connections() == 0 })
}

// detachingServer echoes every request but those for path, which it
// detaches and hands over on the channel, for a test to finish (or not).
func detachingServer(path string) (*phttp.Server, <-chan *phttp.Response) {
	detached := make(chan *phttp.Response, 1)
	s := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path == path {
			w.Detach()
			detached <- w
			return
		}
		echo(w, r)
	}}
	return s, detached
}

// TestStop: Stop from another goroutine returns Run promptly with
// connections open (idle, mid-head, mid-body, detached); every client sees
// its connection end; Stop is idempotent.
func TestStop(t *testing.T) {
	s, detached := detachingServer("/detach")
	if err := s.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	r := runServer(t, s)
	addr := s.Addr().String()
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	var conns []net.Conn
	for range 20 { // idle keep-alive
		c := dial()
		roundTrip(t, c, bufio.NewReader(c), get("/"), "GET")
		conns = append(conns, c)
	}
	mid := dial()
	io.WriteString(mid, "GET / HTTP/1.1\r\nHost: loc")
	body := dial()
	io.WriteString(body, "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc")
	det := dial()
	io.WriteString(det, get("/detach"))
	w := <-detached
	conns = append(conns, mid, body, det)
	waitUntil(t, 5*time.Second, "23 connections", func() bool { return s.Connections() == 23 })

	start := time.Now()
	go s.Stop()
	go s.Stop()
	if err := r.wait(t, 5*time.Second); err != nil {
		t.Errorf("Run returned %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %v to return after Stop", took)
	}
	s.Stop()
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, how := readToEnd(c); how == endTimeout {
			t.Errorf("client %d: connection still open after Stop", i)
		}
	}
	if n := s.Connections(); n != 0 {
		t.Errorf("Connections() = %d after Stop", n)
	}
	w.WriteString("too late")
	if err := w.Send(); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("Send on a detached response after Stop: %v, want ErrClosed", err)
	}
	if err := s.Listen("tcp", "127.0.0.1:0"); !errors.Is(err, phttp.ErrServerStopped) {
		t.Errorf("Listen after Stop: %v, want ErrServerStopped", err)
	}
}

// TestStopBeforeRun: Stop on a server that listens but never ran closes
// its listener; Run then returns at once.
func TestStopBeforeRun(t *testing.T) {
	s := &phttp.Server{Handler: echo}
	if err := s.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr().String()
	s.Stop()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("dial after Stop succeeded")
	}
	done := make(chan error, 1)
	go func() { done <- s.Run() }()
	select {
	case err := <-done:
		// errors.go: "ErrServerStopped is returned by Listen, Serve, Run
		// and Step after Stop or Shutdown."
		if !errors.Is(err, phttp.ErrServerStopped) {
			t.Errorf("Run after Stop: %v, want ErrServerStopped", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run after Stop blocked")
	}
	if err := s.Step(0); !errors.Is(err, phttp.ErrServerStopped) {
		t.Errorf("Step after Stop: %v, want ErrServerStopped", err)
	}
	if err := s.Serve(fakeListener{}); !errors.Is(err, phttp.ErrServerStopped) {
		t.Errorf("Serve after Stop: %v, want ErrServerStopped", err)
	}
}

// TestShutdown: in-flight requests finish with Connection: close, idle
// connections close at once, no new connection is served, and Shutdown
// returns nil once all is done; Run returns too.
func TestShutdown(t *testing.T) {
	s, detached := detachingServer("/slow")
	if err := s.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr().String()
	r := runServer(t, s)
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	idle := dial()
	roundTrip(t, idle, bufio.NewReader(idle), get("/idle"), "GET")
	slow := dial()
	io.WriteString(slow, get("/slow"))
	w := <-detached

	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- s.Shutdown(context.Background()) }()

	// The idle connection is closed at once.
	idle.SetReadDeadline(time.Now().Add(3 * time.Second))
	if rest, how := readToEnd(idle); rest != "" || (how != endEOF && how != endReset) {
		t.Errorf("idle connection during Shutdown: %q, %v", rest, how)
	}
	idle.Close() // else the server lingers on it for a while
	// The listener closed with it: a client connecting now is refused at
	// once, not left in the kernel's backlog until the server stops.
	if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		c.Close()
		t.Errorf("dial during Shutdown succeeded")
	}
	select {
	case err := <-shutdownErr:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	// The in-flight answer goes out, with Connection: close, then EOF.
	w.WriteString("slow done")
	if err := w.Send(); err != nil {
		t.Fatalf("Send: %v", err)
	}
	br := bufio.NewReader(slow)
	resp, body := testserver.ReadResponse(t, br, "GET")
	if resp.StatusCode != 200 || body != "slow done" {
		t.Errorf("in-flight answer: %d %q", resp.StatusCode, body)
	}
	expectLastAnswer(t, resp, br)
	slow.Close()
	awaitShutdown(t, shutdownErr, r)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("dial after Shutdown succeeded")
	}
}

// TestShutdownBodyInProgress: a request whose body is still coming when
// Shutdown starts is finished and answered with Connection: close.
func TestShutdownBodyInProgress(t *testing.T) {
	heads := make(chan struct{}, 1)
	s := &phttp.Server{StreamBodies: true, Handler: func(w *phttp.Response, r *phttp.Request) {
		if len(r.Body) == 0 && !r.BodyDone {
			heads <- struct{}{}
		}
		if r.BodyDone {
			echo(w, r)
		}
	}}
	if err := s.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	r := runServer(t, s)
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	idle := dial()
	roundTrip(t, idle, bufio.NewReader(idle), get("/idle"), "GET")
	c := dial()
	io.WriteString(c, "POST /p HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nab")
	<-heads
	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- s.Shutdown(context.Background()) }()
	// The idle connection closing shows that shutdown has begun; the
	// request in progress must survive it.
	if _, how := readToEnd(idle); how == endTimeout {
		t.Fatal("idle connection not closed by Shutdown")
	}
	idle.Close()
	br := bufio.NewReader(c)
	resp, body := roundTrip(t, c, br, "cde", "POST")
	if resp.StatusCode != 200 || body != echoBody("POST", "/p", "localhost", "cde") {
		t.Errorf("answer: %d %q", resp.StatusCode, body)
	}
	expectLastAnswer(t, resp, br)
	c.Close()
	awaitShutdown(t, shutdownErr, r)
}

// expectLastAnswer checks an answer given during Shutdown: it says
// Connection: close, and the server's FIN follows it.
func expectLastAnswer(t *testing.T, resp *http.Response, br *bufio.Reader) {
	t.Helper()
	if !hasClose(resp) {
		t.Errorf("answer during Shutdown lacks Connection: close")
	}
	if rest, how := readToEnd(br); rest != "" || how != endEOF {
		t.Errorf("after the answer: %q, %v; want a clean close", rest, how)
	}
}

// awaitShutdown waits for Shutdown to return nil once the last request is
// done, and for Run to return after it.
func awaitShutdown(t *testing.T, shutdownErr <-chan error, r *serverRun) {
	t.Helper()
	select {
	case err := <-shutdownErr:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return once the last request finished")
	}
	if err := r.wait(t, 5*time.Second); err != nil {
		t.Errorf("Run returned %v after Shutdown", err)
	}
}

// TestShutdownTimeout: a request that never finishes makes Shutdown return
// the context's error when it expires; Run returns and the client is cut.
func TestShutdownTimeout(t *testing.T) {
	var mu sync.Mutex
	var held []*phttp.Response
	got := make(chan struct{}, 1)
	s := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		w.Detach() // and never finish
		mu.Lock()
		held = append(held, w)
		mu.Unlock()
		got <- struct{}{}
	}}
	if err := s.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	r := runServer(t, s)
	c, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, get("/forever"))
	<-got
	const grace = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	start := time.Now()
	err = s.Shutdown(ctx)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown returned %v, want context.DeadlineExceeded", err)
	}
	if took < grace-50*time.Millisecond || took > grace+3*time.Second {
		t.Errorf("Shutdown took %v with a %v context", took, grace)
	}
	if err := r.wait(t, 5*time.Second); err != nil {
		t.Errorf("Run: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, how := readToEnd(c); how == endTimeout {
		t.Errorf("the stuck client's connection is still open")
	}
}
