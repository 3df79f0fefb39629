package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
)

// Cert is a self-signed certificate for localhost, 127.0.0.1 and ::1,
// made once per test binary.
type Cert struct {
	TLS             tls.Certificate
	Pool            *x509.CertPool // trusts it, for clients
	CertPEM, KeyPEM []byte
}

var (
	certOnce sync.Once
	testCert *Cert
	certErr  error
)

// LocalCert returns the test binary's self-signed certificate.
func LocalCert(t testing.TB) *Cert {
	t.Helper()
	certOnce.Do(func() { testCert, certErr = makeCert() })
	if certErr != nil {
		t.Fatal(certErr)
	}
	return testCert
}

func makeCert() (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	c := &Cert{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		Pool:    x509.NewCertPool(),
	}
	if c.TLS, err = tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c.Pool.AddCert(leaf)
	return c, nil
}

// Files writes the certificate and key to a directory and returns their
// paths (for curl's --cacert, or ListenAndRunTLS).
func (c *Cert) Files(t testing.TB) (certFile, keyFile string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "phttp-cert-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Remove(filepath.Join(dir, "cert.pem"))
		os.Remove(filepath.Join(dir, "key.pem"))
		os.Remove(dir)
	})
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, c.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, c.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// StartTLS is Start with the server speaking TLS with the test
// certificate; URL is https.
func StartTLS(t testing.TB, s *phttp.Server) *Running {
	t.Helper()
	if s.TLSConfig == nil {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{LocalCert(t).TLS}}
	}
	r := Start(t, s)
	r.URL = "https://" + r.Host
	return r
}

// OverTLS is set by PHTTP_TEST_TLS=1: every server Start starts speaks
// TLS with the test certificate, and Dial, Client and WSURL speak it too,
// so that an end-to-end suite runs a second time over TLS.
var OverTLS = os.Getenv("PHTTP_TEST_TLS") == "1"

// SkipOverTLS skips a test that cannot run over TLS, saying why.
func SkipOverTLS(t testing.TB, why string) {
	t.Helper()
	if OverTLS {
		t.Skip("PHTTP_TEST_TLS: " + why)
	}
}

// ClientTLS is the client side's configuration: it trusts the test
// certificate.
func ClientTLS(t testing.TB) *tls.Config {
	LocalCert(t)
	return clientTLS()
}

func clientTLS() *tls.Config {
	certOnce.Do(func() { testCert, certErr = makeCert() })
	if certErr != nil {
		panic(certErr) // crypto/rand or x509 failing: nothing a test can do
	}
	return &tls.Config{RootCAs: testCert.Pool, ServerName: "localhost"}
}

// TLSClient is Client for a TLS server.
func TLSClient(t testing.TB) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, TLSClientConfig: ClientTLS(t)}, Timeout: 30 * time.Second}
}

// DialTLS opens a TLS connection to the server, handshake done, with a
// deadline of d for everything done on it.
func (r *Running) DialTLS(t testing.TB, d time.Duration) *tls.Conn {
	t.Helper()
	raw := r.DialTCP(t, d)
	c := tls.Client(raw, ClientTLS(t))
	if err := c.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	return c
}

// WSTLS is the TLS configuration for a WebSocket dialer: nil on plain
// TCP, one trusting the test certificate with PHTTP_TEST_TLS.
func WSTLS() *tls.Config {
	if !OverTLS {
		return nil
	}
	return clientTLS()
}

// WSDialer is gorilla's default dialer, speaking TLS with PHTTP_TEST_TLS.
func WSDialer() *websocket.Dialer {
	return &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 45 * time.Second, TLSClientConfig: WSTLS()}
}
