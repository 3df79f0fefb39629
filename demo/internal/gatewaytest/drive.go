// Package gatewaytest drives the two gateway demos (phttp's and
// net/http's) through the same endpoints with real clients, so that both
// are held to the same behaviour.
package gatewaytest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Dir makes a directory for a gateway's uploads, removed when the test
// ends. Not t.TempDir: wine cannot remove a directory tree (unlinkat).
func Dir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "gateway-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		names, _ := os.ReadDir(dir)
		for _, n := range names {
			os.Remove(filepath.Join(dir, n.Name()))
		}
		os.Remove(dir)
	})
	return dir
}

// DevOrigin is the dev server's origin the gateway under test allows.
const DevOrigin = "http://localhost:5173"

// Drive exercises every endpoint of a gateway serving on host (with
// DevOrigin allowed and ticks every few tens of milliseconds) with real
// clients, then shuts it down: stop ends its feeds, shutdown is its
// graceful Shutdown.
func Drive(t *testing.T, host string, stop func(), shutdown func(context.Context) error) {
	const dev = DevOrigin
	base := "http://" + host
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}

	// The embedded UI.
	for path, typ := range map[string]string{"/": "text/html", "/app.js": "javascript", "/style.css": "text/css"} {
		if resp, body := get(path); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), typ) || body == "" {
			t.Errorf("GET %s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if resp, _ := get("/missing.js"); resp.StatusCode != 404 {
		t.Errorf("missing file: %d", resp.StatusCode)
	}

	// The WebSocket: ticks, echo, and a note pushed when one is added.
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+host+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	readWS := func(want string) {
		t.Helper()
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("WebSocket: %v, waiting for %s", err, want)
			}
			if strings.Contains(string(msg), want) {
				return
			}
		}
	}
	readWS(`"tick"`)
	ws.WriteMessage(websocket.TextMessage, []byte("echo me"))
	readWS("echo me")

	// The JSON API.
	resp, err := client.Post(base+"/api/notes", "application/json", strings.NewReader(`{"text":"hello"}`))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("POST /api/notes: %v %v", resp, err)
	}
	resp.Body.Close()
	readWS(`{"note":1}`)
	if _, body := get("/api/notes"); body != `[{"id":1,"text":"hello"}]`+"\n" {
		t.Errorf("GET /api/notes: %q", body)
	}
	if resp, _ := client.Post(base+"/api/notes", "application/json", strings.NewReader(`nope`)); resp.StatusCode != 400 {
		t.Errorf("bad note: %d", resp.StatusCode)
	}
	var status map[string]any
	_, body := get("/api/status")
	if json.Unmarshal([]byte(body), &status) != nil || status["sockets"] != 1.0 || status["notes"] != 1.0 {
		t.Errorf("GET /api/status: %q", body)
	}

	// The event feed.
	resp, err = client.Get(base + "/events")
	if err != nil || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /events: %v %v", resp, err)
	}
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	if !strings.HasPrefix(line, "data: ") {
		t.Errorf("first event: %q", line)
	}

	// An upload to disk, and the same file downloaded.
	const size = 64 << 20
	h := sha256.New()
	io.Copy(h, io.LimitReader(zeros{}, size))
	sum := hex.EncodeToString(h.Sum(nil))
	up, err := client.Post(base+"/upload/big.bin", "application/octet-stream", io.LimitReader(zeros{}, size))
	if err != nil {
		t.Fatal(err)
	}
	var stored struct {
		Bytes  int64
		SHA256 string
	}
	json.NewDecoder(up.Body).Decode(&stored)
	up.Body.Close()
	if up.StatusCode != 201 || stored.Bytes != size || stored.SHA256 != sum {
		t.Fatalf("upload: %d %+v", up.StatusCode, stored)
	}
	down, err := client.Get(base + "/download/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	h.Reset()
	n, _ := io.Copy(h, down.Body)
	down.Body.Close()
	if n != size || hex.EncodeToString(h.Sum(nil)) != sum || down.ContentLength != size {
		t.Errorf("download: %d bytes, Content-Length %d, sha256 match %v", n, down.ContentLength, hex.EncodeToString(h.Sum(nil)) == sum)
	}
	if resp, _ := get("/download/nothing"); resp.StatusCode != 404 {
		t.Errorf("missing download: %d", resp.StatusCode)
	}

	// CORS for the dev server, and its WebSocket; other origins are refused.
	pre, _ := http.NewRequest("OPTIONS", base+"/api/notes", nil)
	pre.Header.Set("Origin", dev)
	pre.Header.Set("Access-Control-Request-Method", "POST")
	resp, err = client.Do(pre)
	if err != nil || resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != dev {
		t.Errorf("preflight from the dev server: %v %v", resp, err)
	}
	if c, _, err := websocket.DefaultDialer.Dial("ws://"+host+"/ws", http.Header{"Origin": {dev}}); err != nil {
		t.Errorf("WebSocket from the dev server: %v", err)
	} else {
		c.Close()
	}
	if _, resp, err := websocket.DefaultDialer.Dial("ws://"+host+"/ws", http.Header{"Origin": {"http://evil.example"}}); err == nil || resp.StatusCode != 403 {
		t.Errorf("WebSocket from another origin: %v", err)
	}

	// A graceful shutdown with the feed and the WebSocket still open.
	stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	resp.Body.Close()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
