// Package soak_test runs a scaled-down version of the busy gateway of
// issue 12 for about 20 s: a broadcaster sending Messages to a few hundred
// WebSocket clients (some compressed), clients that churn, slow consumers
// that stop reading for seconds, clients that stall for good, echo
// clients, abusive clients and HTTP load, against a server in a process
// of its own whose heap is measured.
package soak_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gws "github.com/gobwas/ws"
	"github.com/gorilla/websocket"
)

func TestMain(m *testing.M) {
	if os.Getenv(soakServerEnv) != "" {
		runSoakServer()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The soak's shape. heapBound is the claim: the server's heap stays
// under it whatever the number of connections, since every queue
// references the same Messages (with a copy per connection, the 20 slow
// consumers alone could hold 20 × SendQueueBytes = 80 MiB).
var healthyClients, rate = func() (int, int) {
	// The race detector, and wine (where CI runs the Windows build),
	// make every client several times slower on the same two cores.
	if raceEnabled || runtime.GOOS == "windows" {
		return 80, 40
	}
	return 150, 100
}()

const (
	compressedEach = 3 // one healthy client in three offers permessage-deflate
	churners       = 30
	slowClients    = 20
	stallers       = 5
	echoClients    = 10
	abusers        = 4
	httpLoaders    = 4

	seconds      = 18
	writeTimeout = 4 * time.Second
	pingInterval = 5 * time.Second // longer than a slow consumer's pause: stallers go, slow ones stay
	stallMargin  = 2 * time.Second
	heapBound    = 32 << 20
)

// latencyBound is how old a message may be when a healthy client reads
// it. Without the race detector it is WriteTimeout plus the margin: a
// stalled client may hold nobody up for longer than it takes to evict it.
// Under the race detector or wine, on two cores shared with the other
// packages' tests, the healthy readers themselves fall seconds behind the
// broadcast (CI once saw 8.9 s with no message lost and no gap over the
// read deadline), so there the bound only catches a wedge; the read
// deadline between messages still fails any client left waiting.
var latencyBound = func() time.Duration {
	if raceEnabled || runtime.GOOS == "windows" {
		return 4 * (writeTimeout + stallMargin)
	}
	return writeTimeout + stallMargin
}()

type soak struct {
	t    *testing.T
	host string
	done chan struct{} // closed when the healthy clients have all seen "end"

	maxLatency atomic.Int64 // ns, over healthy, churning and echo clients
	churns     atomic.Int64
	echoes     atomic.Int64
	abuses     atomic.Int64
	slowGone   atomic.Int64 // slow consumers closed before the end
	requests   atomic.Int64
}

func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test: skipped with -short")
	}
	s := &soak{t: t, done: make(chan struct{})}
	report, stop := s.startServer()
	defer stop()

	// Everyone that must see every message joins before the first one.
	healthy := make([]*websocket.Conn, healthyClients)
	for i := range healthy {
		healthy[i] = s.dial("healthy", i%compressedEach == 0)
	}
	var wg, others sync.WaitGroup
	for i, c := range healthy {
		wg.Add(1)
		go func() { defer wg.Done(); s.healthy(i, c) }()
	}
	for range stallers {
		c := s.dial("stall", false) // never read: WriteTimeout or PingInterval evicts it
		defer c.Close()
	}
	for i := range churners {
		others.Add(1)
		go func() { defer others.Done(); s.churn(i) }()
	}
	for i := range slowClients {
		others.Add(1)
		go func() { defer others.Done(); s.slow(i) }()
	}
	for i := range echoClients {
		others.Add(1)
		go func() { defer others.Done(); s.echo(i) }()
	}
	for i := range abusers {
		others.Add(1)
		go func() { defer others.Done(); s.abuse(i) }()
	}
	for range httpLoaders {
		others.Add(1)
		go func() { defer others.Done(); s.httpLoad() }()
	}
	s.get("/start")

	healthyDone := make(chan struct{})
	go func() { wg.Wait(); close(healthyDone) }()
	select {
	case <-healthyDone:
	case <-time.After(seconds*time.Second + 60*time.Second):
		t.Fatalf("healthy clients did not all see the end within %v of the start", seconds*time.Second+60*time.Second)
	}
	close(s.done)
	others.Wait()

	rep := report()
	t.Logf("server: heap %d MiB before clients, peak %.1f MiB; peak queued (referenced) %.1f MiB; stats %v",
		rep.BaseHeap>>20, float64(rep.PeakHeap)/(1<<20), float64(rep.PeakQueued)/(1<<20), rep.Stats)
	t.Logf("clients: max latency %v, %d churn cycles, %d echoes, %d abusive connections closed, %d HTTP requests, %d of %d slow consumers closed early",
		time.Duration(s.maxLatency.Load()), s.churns.Load(), s.echoes.Load(), s.abuses.Load(), s.requests.Load(), s.slowGone.Load(), slowClients)
	if rep.PeakHeap > heapBound {
		t.Errorf("server heap peaked at %.1f MiB, over the %d MiB bound", float64(rep.PeakHeap)/(1<<20), heapBound>>20)
	}
	if rep.HealthyDrops != 0 {
		t.Errorf("%d messages to healthy clients were refused with ErrQueueFull", rep.HealthyDrops)
	}
	if lat := time.Duration(s.maxLatency.Load()); lat > latencyBound {
		t.Errorf("a healthy client saw a message %v old, over the %v bound", lat, latencyBound)
	}
	t.Logf("closed 1008 by kind: %v", rep.Evicted)
	for kind, n := range rep.Evicted {
		if kind != "stall" {
			t.Errorf("%d %q clients were closed 1008; only the stalled ones should be", n, kind)
		}
	}
	if rep.Stats.Evicted < stallers {
		t.Errorf("Stats.Evicted %d, want at least the %d stalled clients", rep.Stats.Evicted, stallers)
	}
	if s.churns.Load() < churners || s.echoes.Load() == 0 || s.abuses.Load() == 0 || s.requests.Load() == 0 {
		t.Errorf("the load did not run: %d churns, %d echoes, %d abuses, %d requests", s.churns.Load(), s.echoes.Load(), s.abuses.Load(), s.requests.Load())
	}
}

// startServer starts the server process and returns a function fetching
// its report and one stopping it.
func (s *soak) startServer() (func() serverReport, func()) {
	t := s.t
	cfg, _ := json.Marshal(serverConfig{Messages: rate * seconds, Rate: rate, WriteTimeout: writeTimeout, PingInterval: pingInterval})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), soakServerEnv+"="+string(cfg))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the server process: %v", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "addr ") {
		cmd.Process.Kill()
		t.Fatalf("server process said %q, %v", line, err)
	}
	s.host = strings.TrimSpace(strings.TrimPrefix(line, "addr "))
	report := func() serverReport {
		var rep serverReport
		if err := json.Unmarshal([]byte(s.get("/report")), &rep); err != nil {
			t.Fatalf("report: %v", err)
		}
		return rep
	}
	stop := func() {
		stdin.Close()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("server process: %v", err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("server process did not stop within 10 s")
		}
	}
	return report, stop
}

func (s *soak) get(path string) string {
	resp, err := http.Get("http://" + s.host + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (s *soak) dial(kind string, compress bool) *websocket.Conn {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, EnableCompression: compress}
	c, _, err := d.Dial("ws://"+s.host+"/ws?kind="+kind, nil)
	if err != nil {
		s.t.Fatalf("dial %s: %v", kind, err)
	}
	return c
}

// message parses "seq N ts T ..." and notes its latency.
func (s *soak) message(p []byte) (seq int, end bool) { return s.parse(p, true) }

// parse is message that notes the latency only when timed is set (a
// slow consumer's messages wait by design).
func (s *soak) parse(p []byte, timed bool) (seq int, end bool) {
	f := strings.SplitN(string(p[:min(len(p), 64)]), " ", 5)
	if len(f) >= 2 && f[0] == "end" {
		n, _ := strconv.Atoi(f[1])
		return n, true
	}
	if len(f) < 4 || f[0] != "seq" {
		return -1, false
	}
	seq, _ = strconv.Atoi(f[1])
	ts, _ := strconv.ParseInt(f[3], 10, 64)
	if timed {
		raise(&s.maxLatency, time.Now().UnixNano()-ts)
	}
	return seq, false
}

// healthy reads every message and checks that none is lost, repeated or
// out of order, up to "end".
func (s *soak) healthy(i int, c *websocket.Conn) {
	defer c.Close()
	want := 1
	for {
		c.SetReadDeadline(time.Now().Add(writeTimeout + stallMargin))
		_, p, err := c.ReadMessage()
		if err != nil {
			s.t.Errorf("healthy client %d, waiting for message %d: %v", i, want, err)
			return
		}
		seq, end := s.message(p)
		if end {
			if seq != want-1 {
				s.t.Errorf("healthy client %d: end says %d messages, saw %d", i, seq, want-1)
			}
			return
		}
		if seq != want {
			s.t.Errorf("healthy client %d: message %d, want %d (lost, repeated or reordered)", i, seq, want)
			return
		}
		want++
	}
}

// churn connects, reads a few messages in order, leaves, and again.
func (s *soak) churn(i int) {
	for {
		select {
		case <-s.done:
			return
		default:
		}
		c := s.dial("churn", i%2 == 0)
		prev := -1
		for range 20 {
			c.SetReadDeadline(time.Now().Add(writeTimeout + stallMargin))
			_, p, err := c.ReadMessage()
			if err != nil {
				break // the end came, or the deadline: checked by the healthy clients
			}
			seq, end := s.message(p)
			if end {
				break
			}
			if prev >= 0 && seq != prev+1 {
				s.t.Errorf("churning client %d: message %d after %d", i, seq, prev)
			}
			prev = seq
		}
		c.Close()
		s.churns.Add(1)
	}
}

// slow reads for a second, then stops reading for 2.5, until the end.
// (No read deadline: gorilla's connection is broken after one expires.)
func (s *soak) slow(i int) {
	c := s.dial("slow", i%2 == 0)
	defer c.Close()
	window := time.Now()
	for {
		_, p, err := c.ReadMessage()
		if err != nil {
			s.slowGone.Add(1) // evicted, or the server went: slow consumers may be
			return
		}
		if _, end := s.parse(p, false); end {
			return
		}
		if time.Since(window) < time.Second {
			continue
		}
		select {
		case <-s.done:
			return
		case <-time.After(2500 * time.Millisecond): // the pause is the behaviour under test
		}
		window = time.Now()
	}
}

// echo sends its own messages and expects each back, in order, among the
// broadcasts.
func (s *soak) echo(i int) {
	c := s.dial("echo", i%2 == 0)
	defer c.Close()
	for n := 0; ; n++ {
		select {
		case <-s.done:
			return
		default:
		}
		want := fmt.Sprintf("echo %d %d", i, n)
		c.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := c.WriteMessage(websocket.TextMessage, []byte(want)); err != nil {
			s.t.Errorf("echo client %d: write: %v", i, err)
			return
		}
		sent := time.Now()
		for {
			c.SetReadDeadline(time.Now().Add(writeTimeout + stallMargin))
			_, p, err := c.ReadMessage()
			if err != nil {
				s.t.Errorf("echo client %d waiting for %q: %v", i, want, err)
				return
			}
			if string(p) == want {
				raise(&s.maxLatency, int64(time.Since(sent)))
				s.echoes.Add(1)
				break
			}
			if strings.HasPrefix(string(p), "echo ") {
				s.t.Errorf("echo client %d: got %q, want %q", i, p, want)
				return
			}
			s.message(p)
		}
	}
}

// abuse opens raw connections that break the protocol in turn and
// expects each to be closed with the right code.
func (s *soak) abuse(i int) {
	bad := []struct {
		frame []byte
		code  uint16
	}{
		{gwsFrame(gws.OpText, false, []byte("unmasked")), 1002},
		{gwsFrame(0x3, true, []byte("reserved opcode")), 1002},
		{[]byte{0x82, 0xff, 0, 0, 0, 0, 0x10, 0, 0, 0, 1, 2, 3, 4}, 1009}, // 256 MiB announced
		{gwsFrameRSV(gws.OpText, []byte("not compressed here")), 1002},
	}
	for n := 0; ; n++ {
		select {
		case <-s.done:
			return
		case <-time.After(50 * time.Millisecond): // a steady trickle, not a flood
		}
		b := bad[(i+n)%len(bad)]
		if s.abuseOnce(b.frame, b.code) {
			s.abuses.Add(1)
		}
	}
}

func (s *soak) abuseOnce(frame []byte, code uint16) bool {
	c, err := net.DialTimeout("tcp", s.host, 5*time.Second)
	if err != nil {
		s.t.Errorf("abuser dial: %v", err)
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(writeTimeout + stallMargin))
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	fmt.Fprintf(c, "GET /ws?kind=abuse HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", s.host, key)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		s.t.Errorf("abuser handshake: %v", err)
		return false
	}
	c.Write(frame)
	for range 10000 { // broadcasts may come before the close
		h, err := gws.ReadHeader(br)
		if err != nil {
			s.t.Errorf("abuser waiting for close %d: %v", code, err)
			return false
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(br, p); err != nil {
			s.t.Errorf("abuser reading: %v", err)
			return false
		}
		if h.OpCode == gws.OpClose {
			if len(p) < 2 || uint16(p[0])<<8|uint16(p[1]) != code {
				s.t.Errorf("abuser: close %x, want code %d", p, code)
				return false
			}
			return true
		}
	}
	return false
}

func gwsFrame(op gws.OpCode, masked bool, p []byte) []byte {
	f := gws.NewFrame(op, true, p)
	if masked {
		f = gws.MaskFrame(f)
	}
	b, _ := gws.CompileFrame(f)
	return b
}

// gwsFrameRSV is a masked frame with RSV1 set on a connection that did
// not negotiate compression.
func gwsFrameRSV(op gws.OpCode, p []byte) []byte {
	f := gws.MaskFrame(gws.NewFrame(op, true, p))
	f.Header.Rsv = gws.Rsv(true, false, false)
	b, _ := gws.CompileFrame(f)
	return b
}

// httpLoad keeps a keep-alive HTTP client busy until the end.
func (s *soak) httpLoad() {
	client := &http.Client{Timeout: writeTimeout + stallMargin}
	ctx := context.Background()
	for {
		select {
		case <-s.done:
			return
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.host+"/hello", nil)
		resp, err := client.Do(req)
		if err != nil {
			s.t.Errorf("HTTP load: %v", err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			s.t.Errorf("HTTP load: status %d", resp.StatusCode)
			return
		}
		s.requests.Add(1)
	}
}
