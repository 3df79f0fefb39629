package tls_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/stdhttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestALPN: a client offering h2 and http/1.1 gets h2 by default, and
// http/1.1 from a server whose Protocols leave HTTP/2 out; the request
// sees what was chosen.
func TestALPN(t *testing.T) {
	for _, tc := range []struct {
		protocols phttp.Protocols
		want      string
	}{{0, "h2"}, {phttp.HTTP1, "http/1.1"}, {phttp.HTTP1 | phttp.HTTP2, "h2"}} {
		s := testserver.StartTLS(t, &phttp.Server{Handler: tlsInfo, Protocols: tc.protocols})
		cfg := testserver.ClientTLS(t)
		cfg.NextProtos = []string{"h2", "http/1.1"}
		c, err := tls.Dial("tcp", s.Host, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if p := c.ConnectionState().NegotiatedProtocol; p != tc.want {
			t.Fatalf("Protocols %v: ALPN chose %q, want %s", tc.protocols, p, tc.want)
		}
		c.Close()
	}
	s := testserver.StartTLS(t, &phttp.Server{Handler: tlsInfo, Protocols: phttp.HTTP1})
	cfg := testserver.ClientTLS(t)
	cfg.NextProtos = []string{"h2", "http/1.1"}
	c, err := tls.Dial("tcp", s.Host, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /alpn HTTP/1.1\r\nHost: localhost\r\n\r\n")
	_, body := testserver.ReadResponse(t, bufio.NewReader(c), "GET")
	if body != "/alpn alpn=http/1.1 sni=localhost" {
		t.Errorf("body %q", body)
	}
}

// TestCurl: curl with --cacert, over TLS 1.2 and 1.3; HTTP/2 where curl
// offers it (it does by default when built with nghttp2), HTTP/1.1 when
// told to.
func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl on PATH (apt-get install curl)")
	}
	s := testserver.StartTLS(t, &phttp.Server{Handler: tlsInfo})
	certFile, _ := testserver.LocalCert(t).Files(t)
	for _, v := range []string{"--tlsv1.2", "--tlsv1.3"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, curl, "-sS", v, "--http1.1", "--cacert", certFile, "https://localhost:"+port(s)+"/curl").CombinedOutput()
		cancel()
		if err != nil || string(out) != "/curl alpn=http/1.1 sni=localhost" {
			t.Errorf("curl %s --http1.1: %q %v", v, out, err)
		}
	}
}

func port(s *testserver.Running) string {
	_, p, _ := net.SplitHostPort(s.Host)
	return p
}

// TestWSS: gorilla/websocket over wss, native and through the bridge's
// Hijack, messages up to 1 MiB.
func TestWSS(t *testing.T) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	bridged := stdhttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			http.Error(w, "no TLS", 500)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, p, err := c.ReadMessage()
			if err != nil || c.WriteMessage(mt, p) != nil {
				return
			}
		}
	}))
	s := testserver.StartTLS(t, &phttp.Server{CheckOrigin: func(*phttp.Request) bool { return true }, Handler: func(w *phttp.Response, r *phttp.Request) {
		switch {
		case r.Type == phttp.HTTP && r.Path == "/bridge":
			bridged(w, r)
		case r.Type == phttp.HTTP:
			w.AcceptWebSocket("")
		case r.Type == phttp.WebSocketText || r.Type == phttp.WebSocketBinary:
			w.SendWebSocket(r.Type, r.Body)
		}
	}})
	d := websocket.Dialer{TLSClientConfig: testserver.ClientTLS(t), HandshakeTimeout: 5 * time.Second}
	for _, path := range []string{"/native", "/bridge"} {
		conn, resp, err := d.Dial("wss://"+s.Host+path, nil)
		if err != nil {
			t.Fatalf("%s: dial: %v %v", path, err, resp)
		}
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		for _, n := range []int{0, 125, 126, 65536, 1 << 20} {
			msg := bytes.Repeat([]byte{'w'}, n)
			if err := conn.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				t.Fatalf("%s: write %d: %v", path, n, err)
			}
			_, got, err := conn.ReadMessage()
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%s: echo of %d bytes: %d bytes, %v", path, n, len(got), err)
			}
		}
		conn.Close()
	}
}

// TestLargeTransfers: a 64 MiB download (ReadFrom of a file: encrypted,
// so no sendfile) and an 8 MiB upload (streamed to a reader) over TLS,
// checked by SHA-256.
func TestLargeTransfers(t *testing.T) {
	dir, err := os.MkdirTemp("", "phttp-tls-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	big := filepath.Join(dir, "big")
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i * 31)
	}
	os.WriteFile(big, data, 0o600)
	want := sha256.Sum256(data)
	s := testserver.StartTLS(t, &phttp.Server{StreamBodies: true, MaxBodyBytes: 16 << 20, Handler: func(w *phttp.Response, r *phttp.Request) {
		switch r.Path {
		case "/download":
			w.Detach()
			go func() {
				f, err := os.Open(big)
				if err != nil {
					w.Abort()
					return
				}
				defer f.Close()
				io.Copy(w, f)
				w.Send()
			}()
		case "/upload":
			body := r.BodyReader()
			w.Detach()
			go func() {
				h := sha256.New()
				_, err := io.Copy(h, body)
				if err != nil {
					w.Status = 500
				}
				w.WriteString(hex.EncodeToString(h.Sum(nil)))
				w.Send()
			}()
		}
	}})
	client := testserver.TLSClient(t)
	resp, err := client.Get(s.URL + "/download")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	resp.Body.Close()
	if err != nil || n != int64(len(data)) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("64 MiB download: %d bytes, %v, checksum ok %v", n, err, bytes.Equal(h.Sum(nil), want[:]))
	}
	up := data[:8<<20]
	upSum := sha256.Sum256(up)
	resp, err = client.Post(s.URL+"/upload", "application/octet-stream", bytes.NewReader(up))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != hex.EncodeToString(upSum[:]) {
		t.Fatalf("8 MiB upload: server hashed %q", got)
	}
}

// TestPipelinedInOneRecord: 50 requests in one TLS record are answered
// in order.
func TestPipelinedInOneRecord(t *testing.T) {
	s := testserver.StartTLS(t, &phttp.Server{Handler: tlsInfo, MaxPipelined: 64})
	c := s.DialTLS(t, 10*time.Second)
	var b strings.Builder
	for i := range 50 {
		fmt.Fprintf(&b, "GET /p%d HTTP/1.1\r\nHost: localhost\r\n\r\n", i)
	}
	if b.Len() > 16<<10 {
		t.Fatalf("the batch (%d bytes) does not fit one record", b.Len())
	}
	io.WriteString(c, b.String()) // one Write: one record
	br := bufio.NewReader(c)
	for i := range 50 {
		_, body := testserver.ReadResponse(t, br, "GET")
		if want := fmt.Sprintf("/p%d alpn= sni=localhost", i); body != want {
			t.Fatalf("answer %d: %q, want %q", i, body, want)
		}
	}
}

// TestStalledHandshakes: 300 clients that stop after five bytes of a
// ClientHello hold nobody up: fresh clients are served at once, and the
// stalled ones are closed by ReadHeaderTimeout.
func TestStalledHandshakes(t *testing.T) {
	srv := &phttp.Server{Handler: tlsInfo, ReadHeaderTimeout: 2 * time.Second}
	s := testserver.StartTLS(t, srv)
	stalled := make([]net.Conn, 0, 300)
	for range 300 {
		c, err := net.DialTimeout("tcp", s.Host, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00}) // a handshake record of 512 bytes, never sent
		stalled = append(stalled, c)
	}
	waitFor(t, 5*time.Second, "300 stalled connections", func() bool { return srv.Connections() >= 300 })
	client := testserver.TLSClient(t)
	var slowest time.Duration
	for i := range 20 {
		start := time.Now()
		resp, err := client.Get(fmt.Sprintf("%s/fresh%d", s.URL, i))
		if err != nil {
			t.Fatalf("fresh client %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		client.CloseIdleConnections() // a new handshake each time
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("with 300 stalled handshakes, the slowest of 20 fresh TLS requests took %v", slowest)
	if slowest > time.Second {
		t.Errorf("a fresh TLS client took %v beside 300 stalled handshakes", slowest)
	}
	waitFor(t, 10*time.Second, "the stalled clients to be closed", func() bool { return srv.Connections() == 0 })
	buf := make([]byte, 1)
	for _, c := range stalled[:10] {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(buf); err == nil {
			t.Errorf("a stalled client got a byte instead of a close")
		}
	}
}

// TestGarbageAndPlaintext: garbage after a record header, and plaintext
// HTTP on the TLS port, each get a clear end (an alert or a close; a 400
// for the plaintext request, as net/http), never a hang; the server goes
// on serving.
func TestGarbageAndPlaintext(t *testing.T) {
	s := testserver.StartTLS(t, &phttp.Server{Handler: tlsInfo})
	c := s.DialTCP(t, 5*time.Second)
	c.Write(append([]byte{0x16, 0x03, 0x01, 0x00, 0x40}, bytes.Repeat([]byte{0xAB}, 64)...))
	if _, err := io.ReadAll(c); err != nil {
		t.Errorf("garbage handshake record: %v, want a close", err)
	}
	pc := s.DialTCP(t, 5*time.Second)
	io.WriteString(pc, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	rawBytes, _ := io.ReadAll(pc)
	raw := string(rawBytes)
	if !strings.HasPrefix(raw, "HTTP/1.0 400 Bad Request\r\n") {
		t.Errorf("plaintext HTTP on the TLS port: %q, want net/http's 400", raw)
	}
	resp, err := testserver.TLSClient(t).Get(s.URL + "/after")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestClientCertsResumptionSNI: a required client certificate reaches
// the request; a second connection resumes the session; SNI picks the
// certificate through GetCertificate.
func TestClientCertsResumptionSNI(t *testing.T) {
	cert := testserver.LocalCert(t)
	var sniSeen sync.Map
	srv := &phttp.Server{
		TLSConfig: &tls.Config{
			GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
				sniSeen.Store(h.ServerName, true)
				return &cert.TLS, nil
			},
			ClientAuth: tls.RequireAndVerifyClientCert,
			ClientCAs:  cert.Pool,
		},
		Handler: func(w *phttp.Response, r *phttp.Request) {
			if r.Type == phttp.HTTP {
				fmt.Fprintf(w, "peer certs %d resumed %v", len(r.TLS.PeerCertificates), r.TLS.DidResume)
			}
		},
	}
	s := testserver.StartTLS(t, srv)
	cfg := testserver.ClientTLS(t)
	cfg.Certificates = []tls.Certificate{cert.TLS}
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	for i, want := range []string{"peer certs 1 resumed false", "peer certs 1 resumed true"} {
		c, err := tls.Dial("tcp", s.Host, cfg)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
		_, body := testserver.ReadResponse(t, bufio.NewReader(c), "GET")
		c.Close()
		// A resumed session brings back the certificates of the first.
		if body != want {
			t.Errorf("connection %d: %q, want %q", i, body, want)
		}
	}
	if _, ok := sniSeen.Load("localhost"); !ok {
		t.Errorf("GetCertificate never saw SNI localhost")
	}

	c, err := tls.Dial("tcp", s.Host, testserver.ClientTLS(t))
	if err == nil {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
		_, err = bufio.NewReader(c).ReadByte()
		c.Close()
	}
	if err == nil {
		t.Errorf("a client without a certificate was served")
	}
}

// TestShutdownSendsCloseNotify: Shutdown ends an idle TLS connection
// with close_notify (a record) before the FIN.
func TestShutdownSendsCloseNotify(t *testing.T) {
	srv := &phttp.Server{Handler: tlsInfo}
	s := testserver.StartTLS(t, srv)
	raw := s.DialTCP(t, 10*time.Second)
	counted := &countingConn{Conn: raw}
	c := tls.Client(counted, testserver.ClientTLS(t))
	io.WriteString(c, "GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
	br := bufio.NewReader(c)
	testserver.ReadResponse(t, br, "GET")
	before := counted.read()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after Shutdown: %v, want io.EOF (close_notify)", err)
	}
	if counted.read() == before {
		t.Errorf("no record came before the FIN: close_notify was not sent")
	}
}

type countingConn struct {
	net.Conn
	mu sync.Mutex
	n  int
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.n += n
	c.mu.Unlock()
	return n, err
}

func (c *countingConn) read() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSameOriginIsHTTPS: over TLS, the server's own origin is https; a
// page from the http origin of the same host is another site.
func TestSameOriginIsHTTPS(t *testing.T) {
	s := testserver.StartTLS(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Type == phttp.HTTP {
			w.AcceptWebSocket("")
		}
	}})
	for origin, want := range map[string]int{"https://" + s.Host: 101, "http://" + s.Host: 403} {
		c := s.DialTLS(t, 5*time.Second)
		fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: %s\r\n\r\n", s.Host, origin)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != want {
			t.Errorf("Origin %s: %v %v, want %d", origin, resp, err, want)
		}
	}
}

// TestRequestAndFINWithTheFinished: a client that sends its request and
// its FIN right behind its handshake's Finished (before the server's
// handshake goroutine has read it) still gets its answer, then the close.
func TestRequestAndFINWithTheFinished(t *testing.T) {
	s := testserver.StartTLS(t, &phttp.Server{Handler: tlsInfo})
	for range 20 {
		c := s.DialTLS(t, 5*time.Second)
		io.WriteString(c, "GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n")
		c.CloseWrite()
		testserver.TCP(c).CloseWrite()
		b, err := io.ReadAll(c)
		if err != nil || !strings.HasSuffix(string(b), "\r\n\r\n/a alpn= sni=localhost") {
			t.Fatalf("answer %q, %v", b, err)
		}
	}
}

// TestAddConnSpeaksTLS: a connection accepted elsewhere and adopted with
// AddConn speaks TLS like the server's own.
func TestAddConnSpeaksTLS(t *testing.T) {
	srv := &phttp.Server{Handler: tlsInfo}
	s := testserver.StartTLS(t, srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := s.AddConn(<-accepted); err != nil {
		t.Fatalf("AddConn: %v", err)
	}
	tc := tls.Client(client, testserver.ClientTLS(t))
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(tc, "GET /adopted HTTP/1.1\r\nHost: localhost\r\n\r\n")
	_, body := testserver.ReadResponse(t, bufio.NewReader(tc), "GET")
	if body != "/adopted alpn= sni=localhost" {
		t.Errorf("adopted connection: %q", body)
	}
}
