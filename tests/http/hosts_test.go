package http_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

type hostCase struct {
	host string // Host header; "-" for none (HTTP/1.0), or a full request line prefix with "GET "
	want int
}

func checkHosts(t *testing.T, s *testserver.Running, calls *counting, good string, cases []hostCase) {
	t.Helper()
	for _, tc := range cases {
		var req string
		switch {
		case tc.host == "-":
			req = "GET /h HTTP/1.0\r\n\r\n"
		case len(tc.host) > 4 && tc.host[:4] == "GET ":
			req = tc.host + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
		default:
			req = "GET /h HTTP/1.1\r\nHost: " + tc.host + "\r\nConnection: close\r\n\r\n"
		}
		before := calls.n.Load()
		raw, how := exchange(t, s, req, 5*time.Second)
		resps, _ := parseAll(t, raw, "GET")
		if resps[0].StatusCode != tc.want {
			t.Errorf("Host %q: %d, want %d", tc.host, resps[0].StatusCode, tc.want)
		}
		if tc.want == 421 {
			if !hasClose(resps[0]) || (how != endEOF && how != endReset) {
				t.Errorf("Host %q: 421 without Connection: close (%v)", tc.host, how)
			}
			if calls.n.Load() != before {
				t.Errorf("Host %q: the handler saw a refused request", tc.host)
			}
		}
	}
	mustServeHost(t, s, good)
}

// TestHostAllowListDefault: on loopback, localhost, 127.0.0.1 and [::1]
// (any port, any case) are allowed; anything else is 421 (DNS rebinding).
func TestHostAllowListDefault(t *testing.T) {
	var calls counting
	s := testserver.Start(t, &phttp.Server{Handler: calls.handle})
	checkHosts(t, s, &calls, "localhost", []hostCase{
		{"localhost", 200},
		{"localhost:8080", 200},
		{"LocalHost:1", 200},
		{"127.0.0.1", 200},
		{"127.0.0.1:80", 200},
		{"[::1]", 200},
		{"[::1]:65535", 200},
		{"-", 200}, // HTTP/1.0 without Host: nothing to check
		{"evil.example", 421},
		{"evil.example:80", 421},
		{"localhost.evil.example", 421},
		{"evil-localhost", 421},
		{"127.0.0.2", 421},
		{"0.0.0.0", 421},
		{"[::2]", 421},
		{"[::1].evil", 400}, // not a valid Host at all
		{"GET http://evil.example/x", 421},
		{"GET http://localhost:9/x", 200},
	})
	// net/http's client, with its default Host and a forged one.
	client := testserver.Client()
	defer client.CloseIdleConnections()
	for _, tc := range []struct {
		host string
		want int
	}{{"", 200}, {"localhost", 200}, {"rebound.example", 421}} {
		req, _ := http.NewRequest("GET", s.URL+"/", nil)
		req.Host = tc.host
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("net/http with Host %q: %d, want %d", tc.host, resp.StatusCode, tc.want)
		}
	}
}

// TestHostAllowListConfigured: AllowedHosts replaces the defaults; a bare
// host allows any port, host:port only that port.
func TestHostAllowListConfigured(t *testing.T) {
	var calls counting
	s := testserver.Start(t, &phttp.Server{AllowedHosts: []string{"app.example", "api.example:8443"}, Handler: calls.handle})
	checkHosts(t, s, &calls, "app.example", []hostCase{
		{"app.example", 200},
		{"app.example:1234", 200},
		{"APP.example", 200},
		{"api.example:8443", 200},
		{"api.example:9999", 421},
		{"api.example", 421},
		{"localhost", 421},
		{"127.0.0.1", 421},
		{"other.example", 421},
		{"-", 200},
	})
}

// TestHostAllowListDisabled: []string{"*"} turns the check off.
func TestHostAllowListDisabled(t *testing.T) {
	var calls counting
	s := testserver.Start(t, &phttp.Server{AllowedHosts: []string{"*"}, Handler: calls.handle})
	checkHosts(t, s, &calls, "localhost", []hostCase{
		{"evil.example", 200},
		{"evil.example:81", 200},
		{"localhost", 200},
		{"[2001:db8::1]:80", 200},
		{"GET http://anything.example/x", 200},
	})
}

// TestHostAllowListUnixAndIPv6: the defaults apply on a unix socket and on
// [::1] too.
func TestHostAllowListUnixAndIPv6(t *testing.T) {
	if !ipv6Loopback() {
		t.Log("no [::1]: checking the unix socket only")
	} else {
		var calls counting
		s := testserver.StartOn(t, &phttp.Server{Handler: calls.handle}, "tcp6", "[::1]:0")
		checkHosts(t, s, &calls, "localhost", []hostCase{{"[::1]:1", 200}, {"localhost", 200}, {"evil.example", 421}})
	}
	skipWithoutUnixSockets(t)
	s := &phttp.Server{Handler: echo}
	path := t.TempDir() + "/phttp.sock"
	if err := s.Listen("unix", path); err != nil {
		t.Fatal(err)
	}
	runServer(t, s)
	for _, tc := range []struct {
		host string
		want int
	}{{"localhost", 200}, {"evil.example", 421}} {
		raw := unixExchange(t, path, "GET / HTTP/1.1\r\nHost: "+tc.host+"\r\nConnection: close\r\n\r\n")
		if got := testserver.StatusOf(raw); got != tc.want {
			t.Errorf("unix socket, Host %q: %d, want %d", tc.host, got, tc.want)
		}
	}
}
