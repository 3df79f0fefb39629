//go:build linux

package http_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
)

const emfileChildEnv = "PHTTP_E2E_EMFILE_CHILD"

// emfileHeadroom is how many descriptors the child server may open beyond
// what it holds when it starts serving.
const emfileHeadroom = 12

// TestAcceptEMFILE: accept() failing for lack of descriptors backs off and
// keeps serving. The server runs in a child process (this test binary,
// re-executed) whose RLIMIT_NOFILE is lowered; the parent opens connections
// until the child is out of descriptors, checks that the child neither
// exits nor spins and still serves the connections it has, then closes
// them and checks that a new client is served.
func TestAcceptEMFILE(t *testing.T) {
	if os.Getenv(emfileChildEnv) == "1" {
		emfileChild()
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc and RLIMIT_NOFILE as on Linux")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcceptEMFILE$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), emfileChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	defer func() {
		stdin.Close() // the child stops its server and exits
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("child exited with %v\nlog:\n%s", err, logs.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("child did not exit within 10 s of being told to")
		}
	}()

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	var addr string
	select {
	case l := <-lines:
		var ok bool
		if addr, ok = strings.CutPrefix(l, "ADDR "); !ok {
			t.Fatalf("child said %q\nlog:\n%s", l, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("child did not start\nlog:\n%s", logs.String())
	}

	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		return c
	}
	ask := func(c net.Conn, path string, d time.Duration) (int, error) {
		c.SetDeadline(time.Now().Add(d))
		if _, err := io.WriteString(c, get(path)); err != nil {
			return 0, err
		}
		resp, err := readOne(c)
		if err != nil {
			return 0, err
		}
		return resp, nil
	}

	// A client served before the server runs out.
	first := dial()
	defer first.Close()
	br := bufio.NewReader(first)
	askKeep := func(path string) (int, error) {
		first.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(first, get(path)); err != nil {
			return 0, err
		}
		return readStatusAndBody(br)
	}
	if code, err := askKeep("/first"); code != 200 {
		t.Fatalf("first request: %d %v", code, err)
	}

	// Flood: many more connections than the child has descriptors for.
	const flood = 4 * emfileHeadroom
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range flood {
		c := dial()
		conns = append(conns, c)
		io.WriteString(c, get(fmt.Sprintf("/flood%d", i)))
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "out of descriptors") {
		if time.Now().After(deadline) {
			t.Fatalf("the child never ran out of descriptors\nlog:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// It keeps serving the connections it has.
	if code, err := askKeep("/during"); code != 200 {
		t.Errorf("an accepted client while out of descriptors: %d %v", code, err)
	}
	// It neither exits nor spins.
	cpu0 := procCPU(t, cmd.Process.Pid)
	wall0 := time.Now()
	time.Sleep(time.Second)
	cpu := procCPU(t, cmd.Process.Pid) - cpu0
	wall := time.Since(wall0)
	select {
	case err := <-exited:
		t.Fatalf("child exited while out of descriptors: %v\nlog:\n%s", err, logs.String())
	default:
	}
	if cpu > wall/4 {
		t.Errorf("child used %v of CPU in %v while out of descriptors: spinning?", cpu, wall)
	}
	warnings := strings.Count(logs.String(), "out of descriptors")
	t.Logf("out of descriptors: %d log lines, CPU %v in %v", warnings, cpu, wall)

	// Once clients leave, a new client is served.
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	served := false
	var lastErr error
	for try := 0; try < 50 && !served; try++ {
		c := dial()
		code, err := ask(c, "/after", 5*time.Second)
		c.Close()
		served, lastErr = code == 200, err
		if !served {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !served {
		t.Errorf("no new client served after the flood ended (last error %v)\nlog:\n%s", lastErr, logs.String())
	}
	if code, err := askKeep("/end"); code != 200 {
		t.Errorf("the first client at the end: %d %v", code, err)
	}
}

// readOne reads one response's status from c.
func readOne(c net.Conn) (int, error) {
	return readStatusAndBody(bufio.NewReader(c))
}

func readStatusAndBody(br *bufio.Reader) (int, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, err
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, fmt.Errorf("status line %q", line)
	}
	code, _ := strconv.Atoi(f[1])
	n := 0
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return 0, err
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Content-Length") {
			n, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
		return 0, err
	}
	return code, nil
}

// procCPU returns the user+system CPU time of process pid.
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("reading the child's CPU time: %v", err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// After the command: state is field 3; utime and stime are 14 and 15.
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ, which Linux fixes at 100 for /proc
	return time.Duration(ut+st) * time.Second / hz
}

// emfileChild is the child's side: a server with few descriptors to spare.
// It prints its address, serves until stdin closes, and exits.
func emfileChild() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := &phttp.Server{Logger: logger, Handler: echo}
	if err := s.Listen("tcp", "127.0.0.1:0"); err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	lim.Cur = uint64(len(entries) + emfileHeadroom)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "child: %d descriptors open, limit %d\n", len(entries), lim.Cur)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		s.Stop()
	}()
	fmt.Println("ADDR", s.Addr().String())
	if err := s.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "child: Run:", err)
		os.Exit(3)
	}
	fmt.Fprintln(os.Stderr, "child: Run returned")
}
