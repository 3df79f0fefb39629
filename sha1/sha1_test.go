package sha1

import (
	stdsha1 "crypto/sha1"
	"encoding/base64"
	"strings"
	"testing"
)

// The example handshake of RFC 6455 §1.3.
const (
	rfcKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	rfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

func TestAcceptKeyRFC6455(t *testing.T) {
	if got := AcceptKey(rfcKey); got != rfcAccept {
		t.Fatalf("AcceptKey(%q) = %q, want %q", rfcKey, got, rfcAccept)
	}
	if got := string(AppendAcceptKey([]byte("Sec-WebSocket-Accept: "), rfcKey)); got != "Sec-WebSocket-Accept: "+rfcAccept {
		t.Fatalf("AppendAcceptKey = %q", got)
	}
	if len(rfcAccept) != AcceptKeyLen {
		t.Fatalf("AcceptKeyLen = %d, want %d", AcceptKeyLen, len(rfcAccept))
	}
}

// TestAcceptKeyMatchesDefinition checks the stack-buffer path and the
// streaming path against the formula written out with crypto/sha1 directly.
func TestAcceptKeyMatchesDefinition(t *testing.T) {
	for _, key := range []string{
		"",
		rfcKey,
		"AAAAAAAAAAAAAAAAAAAAAA==",
		strings.Repeat("k", maxStackKey),
		strings.Repeat("k", maxStackKey+1),
		strings.Repeat("long key ", 40),
	} {
		sum := stdsha1.Sum([]byte(key + websocketGUID))
		want := base64.StdEncoding.EncodeToString(sum[:])
		if got := AcceptKey(key); got != want {
			t.Errorf("AcceptKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestValidKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{rfcKey, true},
		{"AAAAAAAAAAAAAAAAAAAAAA==", true},
		{"/////////////////////w==", true},
		// Non-zero padding bits still decode to 16 bytes; RFC 6455 asks only
		// for a 16-byte value, so the lenient decoding is kept.
		{"dGhlIHNhbXBsZSBub25jZR==", true},
		{"", false},
		{"dGhlIHNhbXBsZSBub25jZQ", false},       // unpadded
		{"dGhlIHNhbXBsZSBub25jZQ=", false},      // half padded
		{"dGhlIHNhbXBsZSBub25jZQ===", false},    // over padded
		{"dGhlIHNhbXBsZSBub25jZSE=", false},     // 17 bytes
		{"dGhlIHNhbXBsZSBub25j", false},         // 15 bytes
		{"dGhlIHNhbXBsZSBub25jZQ==dGhl", false}, // trailing data
		{"dGhlIHNhbXBs\nZSBub25jZQ==", false},   // line break (base64 would skip it)
		{"dGhlIHNhbXBs\nZSBub25jZQ=", false},    // line break, 24 characters
		{"dGhlIHNhbXBsZSBub25jZQ\r\n", false},   // CRLF instead of padding
		{"dGhlIHNhbXBsZSBub25jZQ==\n", false},   // trailing newline
		{" dGhlIHNhbXBsZSBub25jZQ==", false},    // leading space
		{"dGhlIHNhbXBsZSBub25jZQ-_", false},     // URL alphabet
		{"dGhlIHNhbXBsZSBub25jZ-_A==", false},   // URL alphabet
		{"dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==", false},
		{"AAAAAAAAAAAAAAAAAAAAAAAA", false}, // 18 bytes, no padding
		{"AAAAAAAAAAAAAAAAAAAAA===", false}, // bad padding
	} {
		if got := ValidKey(tc.key); got != tc.want {
			t.Errorf("ValidKey(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
}

func TestAppendAcceptKeyAllocs(t *testing.T) {
	dst := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(1000, func() {
		dst = AppendAcceptKey(dst[:0], rfcKey)
	})
	if allocs != 0 {
		t.Fatalf("AppendAcceptKey allocates %v times per call, want 0", allocs)
	}
	if string(dst) != rfcAccept {
		t.Fatalf("got %q", dst)
	}
}

func TestValidKeyAllocs(t *testing.T) {
	ok := false
	allocs := testing.AllocsPerRun(1000, func() {
		ok = ValidKey(rfcKey)
	})
	if allocs != 0 || !ok {
		t.Fatalf("ValidKey: %v allocations, ok=%v; want 0, true", allocs, ok)
	}
}

func BenchmarkAppendAcceptKey(b *testing.B) {
	dst := make([]byte, 0, AcceptKeyLen)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendAcceptKey(dst[:0], rfcKey)
	}
}
