package websocket_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// nodeClient returns the path of a script in tests/node, skipping the
// test when node or the ws package (npm ci --prefix tests/node) is
// missing.
func nodeClient(t *testing.T, script string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: skipping the Node ws client test")
	}
	dir, err := filepath.Abs(filepath.Join("..", "node"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ws", "package.json")); err != nil {
		t.Skipf("Node's ws package is missing (run npm ci --prefix %s): skipping", dir)
	}
	return filepath.Join(dir, script)
}

// TestCompressionNodeEcho: Node's ws with perMessageDeflate negotiates
// the extension, gets text and binary echoes from 0 bytes to 4 MiB back
// intact, and a 1 MiB compressible message takes under a quarter of its
// size on the wire each way.
func TestCompressionNodeEcho(t *testing.T) {
	script := nodeClient(t, "echo.mjs")
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.WebSocketCompression = true })
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, s.WSURL("/ws"))
	if testserver.OverTLS {
		certFile, _ := testserver.LocalCert(t).Files(t)
		cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+certFile) // wss: trust the test certificate
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, out)
	}
	var res struct {
		Extensions string `json:"extensions"`
		Up, Down   int64
	}
	line := strings.TrimSpace(string(out))
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		t.Fatalf("node client said %q: %v", line, err)
	}
	t.Logf("node ws: extensions %q, 1 MiB echo %d bytes up, %d down", res.Extensions, res.Up, res.Down)
	if !strings.HasPrefix(res.Extensions, "permessage-deflate") {
		t.Errorf("node ws negotiated %q, want permessage-deflate", res.Extensions)
	}
	if res.Up > 1<<18 || res.Down > 1<<18 || res.Down == 0 {
		t.Errorf("1 MiB compressible echo took %d bytes up, %d down; want each under 256 KiB", res.Up, res.Down)
	}
}
