package ws

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// validate runs the DFA over p in one call.
func validate(p []byte) bool {
	var s utf8State
	return s.write(p) && s.complete()
}

// TestUTF8Exhaustive compares the DFA with unicode/utf8 on every sequence of
// up to three bytes, and on four-byte sequences built from every lead byte
// and the continuation bytes at each range boundary.
func TestUTF8Exhaustive(t *testing.T) {
	var b [4]byte
	for i := range 256 {
		b[0] = byte(i)
		if validate(b[:1]) != utf8.Valid(b[:1]) {
			t.Fatalf("%x", b[:1])
		}
		for j := range 256 {
			b[1] = byte(j)
			if validate(b[:2]) != utf8.Valid(b[:2]) {
				t.Fatalf("%x", b[:2])
			}
			for k := range 256 {
				b[2] = byte(k)
				if validate(b[:3]) != utf8.Valid(b[:3]) {
					t.Fatalf("%x", b[:3])
				}
			}
		}
	}
	edges := []byte{0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff}
	for lead := 0xc0; lead <= 0xff; lead++ {
		b[0] = byte(lead)
		for _, x := range edges {
			for _, y := range edges {
				for _, z := range edges {
					b[1], b[2], b[3] = x, y, z
					if validate(b[:4]) != utf8.Valid(b[:4]) {
						t.Fatalf("%x", b[:4])
					}
				}
			}
		}
	}
}

// TestUTF8Incremental: cutting the input anywhere changes nothing, and an
// invalid byte is reported in the chunk that holds it.
func TestUTF8Incremental(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "é", "€", "😀", "\x80", "\xff", "\xed\xa0", "\xf4\x90", "\xe0\x80", "\xc2", "zzzzzzzzzzzz"}
	for range 20000 {
		var p []byte
		for range rng.IntN(12) {
			p = append(p, alphabet[rng.IntN(len(alphabet))]...)
		}
		want := utf8.Valid(p)
		var s utf8State
		okSoFar := true
		for rest := p; len(rest) > 0; {
			k := rng.IntN(len(rest) + 1)
			if !s.write(rest[:k]) {
				okSoFar = false
				// Valid up to this chunk, so the bad byte is in it.
				if !validPrefix(p[:len(p)-len(rest)]) || validPrefix(p[:len(p)-len(rest)+k]) {
					t.Fatalf("%x: rejected in the wrong chunk", p)
				}
				break
			}
			rest = rest[k:]
		}
		if got := okSoFar && s.complete(); got != want {
			t.Fatalf("%x: got %v, want %v", p, got, want)
		}
		if okSoFar && !validPrefix(p) {
			t.Fatalf("%x: accepted an invalid prefix", p)
		}
	}
}

// validPrefix reports whether p is valid UTF-8 or a valid UTF-8 text cut
// inside its last code point. It is written with unicode/utf8 only, as an
// independent oracle for the DFA.
func validPrefix(p []byte) bool {
	start := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-3; i-- {
		if utf8.RuneStart(p[i]) {
			start = i
			break
		}
	}
	if start < len(p) && !utf8.FullRune(p[start:]) {
		return utf8.Valid(p[:start])
	}
	return utf8.Valid(p)
}

func BenchmarkUTF8ASCII(b *testing.B) {
	p := []byte("The quick brown fox jumps over the lazy dog. 0123456789 ABCDEFGHIJKLMNOP")
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		var s utf8State
		s.write(p)
	}
}

func BenchmarkUTF8Mixed(b *testing.B) {
	p := []byte("Größenmaßstäbe — ünïcödé ✓ 😀 日本語のテキスト, κόσμε, and some ASCII.")
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		var s utf8State
		s.write(p)
	}
}
