package http_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// curl runs curl with args and returns what it printed.
func curl(t *testing.T, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found in PATH (apt-get install -y curl): skipping the curl cases")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	base := []string{"-sS", "--max-time", "5"}
	if testserver.OverTLS {
		// This is the HTTP/1.1 suite: over TLS the server offers h2 too
		// (the zero Protocols), which curl would take (tests/h2 has it).
		certFile, _ := testserver.LocalCert(t).Files(t)
		base = append(base, "--cacert", certFile, "--http1.1")
	}
	out, err := exec.CommandContext(ctx, path, append(base, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestCurl: a real third-party client: keep-alive across URLs, HTTP/1.0,
// a forged Host, a chunked upload and Expect: 100-continue.
func TestCurl(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: echo})

	t.Run("keep-alive across two URLs", func(t *testing.T) {
		out := curl(t, "-v", s.URL+"/one", s.URL+"/two")
		for _, want := range []string{"GET /one host=" + s.Host, "GET /two host=" + s.Host} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q in:\n%s", want, out)
			}
		}
		if !strings.Contains(out, "Re-using existing connection") && !strings.Contains(out, "Reusing existing") {
			t.Errorf("curl did not reuse the connection:\n%s", out)
		}
	})
	t.Run("HTTP/1.0", func(t *testing.T) {
		out := curl(t, "-i", "--http1.0", s.URL+"/old")
		if !strings.HasPrefix(out, "HTTP/1.1 200") || !strings.Contains(out, "GET /old") {
			t.Errorf("unexpected:\n%s", out)
		}
		if !strings.Contains(strings.ToLower(out), "connection: close") {
			t.Errorf("HTTP/1.0 answer without Connection: close:\n%s", out)
		}
	})
	t.Run("forged Host", func(t *testing.T) {
		out := curl(t, "-i", "-H", "Host: rebinding.example", s.URL+"/")
		if !strings.HasPrefix(out, "HTTP/1.1 421") {
			t.Errorf("want 421:\n%s", out)
		}
	})
	t.Run("chunked upload with Expect", func(t *testing.T) {
		out := curl(t, "-i", "-H", "Transfer-Encoding: chunked", "-H", "Expect: 100-continue",
			"--data-binary", "hello from curl", s.URL+"/up")
		if !strings.Contains(out, "HTTP/1.1 100 Continue") {
			t.Errorf("no 100 Continue:\n%s", out)
		}
		if !strings.Contains(out, `POST /up host=`+s.Host+` body="hello from curl"`) {
			t.Errorf("unexpected:\n%s", out)
		}
	})
	mustServe(t, s)
}
