package http11

import (
	"fmt"
	"strings"
	"testing"
)

// decodeFeed plays the caller: bytes arrive in pieces (cut at cuts), are
// appended to what is still unconsumed, and Decode is called until it
// consumes nothing. It returns the payload, how many input bytes the body
// took, and whether it finished.
func decodeFeed(d *ChunkedDecoder, in string, cuts []int) (payload string, used int, done bool, err error) {
	var out strings.Builder
	var pending []byte
	prev := 0
	for _, k := range append(cuts, len(in)) {
		// A fresh copy each time: the decoder must not keep pointers to
		// old input.
		pending = append(append([]byte(nil), pending...), in[prev:k]...)
		prev = k
		for {
			n, data, fin, e := d.Decode(pending)
			out.Write(data)
			used += n
			pending = pending[n:]
			if e != nil {
				return out.String(), used, false, e
			}
			if fin {
				return out.String(), used, true, nil
			}
			if n == 0 {
				break
			}
		}
	}
	return out.String(), used, false, nil
}

var validChunked = []struct {
	name, in, want string
	rest           int // bytes after the body
}{
	{"one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello", 0},
	{"two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", 0},
	{"empty body", "0\r\n\r\n", "", 0},
	{"hex sizes", "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n", "0123456789abcdefghijk", 0},
	{"leading zeros", "0000000000000000000005\r\nhello\r\n000\r\n\r\n", "hello", 0},
	{"binary data", "4\r\n\r\n\x00\xff\r\n0\r\n\r\n", "\r\n\x00\xff", 0},
	{"extensions", "5;a\r\nhello\r\n3 ; b = c ;d=\"q\\\"x\" \t;e\r\nabc\r\n0;last=yes\r\n\r\n", "helloabc", 0},
	{"ext token value", "1;n=!#$%&'*+-.^_`|~09azAZ\r\nx\r\n0\r\n\r\n", "x", 0},
	{"ext quoted obs-text", "1;n=\"a b\t\x80\xff\\\x80\"\r\nx\r\n0\r\n\r\n", "x", 0},
	{"trailers", "1\r\nx\r\n0\r\nChecksum: abc\r\nX-Empty:\r\nX-Ows: \t v \t\r\n\r\n", "x", 0},
	{"followed by next request", "1\r\nx\r\n0\r\n\r\n" + get, "x", len(get)},
	{"max digits", "000fffffffffffffff\r\n", "", 0}, // incomplete, but a valid size
}

func TestChunkedValid(t *testing.T) {
	for _, tc := range validChunked {
		t.Run(tc.name, func(t *testing.T) {
			var d ChunkedDecoder
			got, used, done, err := decodeFeed(&d, tc.in, nil)
			wantDone := tc.name != "max digits"
			if err != nil || got != tc.want || done != wantDone || done && used != len(tc.in)-tc.rest {
				t.Fatalf("got %q, used %d, done %v, err %v; want %q, used %d", got, used, done, err,
					tc.want, len(tc.in)-tc.rest)
			}
			if done != d.Done() {
				t.Fatalf("Done() = %v", d.Done())
			}
			checkChunkedSplits(t, tc.in)
		})
	}
}

// checkChunkedSplits asserts that every feeding gives what one piece gives.
func checkChunkedSplits(t *testing.T, in string) {
	t.Helper()
	var d ChunkedDecoder
	want, wantUsed, wantDone, wantErr := decodeFeed(&d, in, nil)
	forEachSplit(in, func(desc string, cuts []int) {
		d.Reset()
		got, used, done, err := decodeFeed(&d, in, cuts)
		if got != want || used != wantUsed || done != wantDone || err != wantErr {
			t.Fatalf("%s: got %q %d %v %v; one piece gave %q %d %v %v", desc,
				got, used, done, err, want, wantUsed, wantDone, wantErr)
		}
	})
}

var invalidChunked = []struct {
	name, bad, good string
	err             *Error
}{
	{"no size", "\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n", errChunkSize},
	{"0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", "05\r\nhello\r\n0\r\n\r\n", errChunkSize},
	{"plus sign", "+5\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n", errChunkSize},
	{"minus sign", "-5\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n", errChunkSize},
	{"leading space", " 5\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n", errChunkSize},
	{"not hex", "5g\r\nhello\r\n0\r\n\r\n", "5f\r\n" + strings.Repeat("x", 0x5f) + "\r\n0\r\n\r\n", errChunkSize},
	{"trailing space", "5 \r\nhello\r\n0\r\n\r\n", "5 ;a\r\nhello\r\n0\r\n\r\n", errChunkExt},
	{"16 digits", "1000000000000000\r\n", "0000000000000000100000000000000\r\n", errChunkSizeLarge},
	{"2^64", "10000000000000000\r\n", "fffffffffffffff\r\n", errChunkSizeLarge},
	{"bare LF after size", "5\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n", errBareLF},
	{"bare CR after size", "5\rhello\r\n0\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n", errBareCR},
	{"data too long", "5\r\nhello!\r\n0\r\n\r\n", "6\r\nhello!\r\n0\r\n\r\n", errChunkCRLF},
	{"data LF only", "5\r\nhello\n0\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n", errChunkCRLF},
	{"data CR only", "5\r\nhello\r0\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n", errChunkCRLF},
	{"ext empty name", "5;\r\nhello\r\n0\r\n\r\n", "5;a\r\nhello\r\n0\r\n\r\n", errChunkExt},
	{"ext empty value", "5;a=\r\nhello\r\n0\r\n\r\n", "5;a=b\r\nhello\r\n0\r\n\r\n", errChunkExt},
	{"ext bad name", "5;a@b\r\nhello\r\n0\r\n\r\n", "5;a-b\r\nhello\r\n0\r\n\r\n", errChunkExt},
	{"ext bad value", "5;a=b@c\r\nhello\r\n0\r\n\r\n", "5;a=\"b@c\"\r\nhello\r\n0\r\n\r\n", errChunkExt},
	{"ext unclosed quote", "5;a=\"b\r\nhello\r\n0\r\n\r\n", "5;a=\"b\"\r\nhello\r\n0\r\n\r\n", errChunkExt},
	{"ext after quote", "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n", "5;a=\"b\";c\r\nhello\r\n0\r\n\r\n", errChunkExt},
	{"ext NUL in quote", "5;a=\"\x00\"\r\nhello\r\n0\r\n\r\n", "5;a=\"\\\"\"\r\nhello\r\n0\r\n\r\n", errChunkExt},
	{"ext escaped CTL", "5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n", "5;a=\"\\\t\"\r\nhello\r\n0\r\n\r\n", errChunkExt},
	{"ext trailing space", "5;a \r\nhello\r\n0\r\n\r\n", "5;a\r\nhello\r\n0\r\n\r\n", errChunkExt},
	{"ext bare LF", "5;a\nhello\r\n0\r\n\r\n", "5;a\r\nhello\r\n0\r\n\r\n", errBareLF},
	{"ext too long", "5;a=" + strings.Repeat("b", MaxChunkLineBytes) + "\r\nhello\r\n0\r\n\r\n",
		"5;a=" + strings.Repeat("b", MaxChunkLineBytes-6) + "\r\nhello\r\n0\r\n\r\n", errChunkLine},
	{"zeros too long", strings.Repeat("0", MaxChunkLineBytes-1) + "\r\n\r\n",
		strings.Repeat("0", MaxChunkLineBytes-2) + "\r\n\r\n", errChunkLine},
	{"trailer obs-fold", "0\r\nA: b\r\n c\r\n\r\n", "0\r\nA: b c\r\n\r\n", errObsFold},
	{"trailer space first", "0\r\n A: b\r\n\r\n", "0\r\nA: b\r\n\r\n", errObsFold},
	{"trailer space before colon", "0\r\nA : b\r\n\r\n", "0\r\nA: b\r\n\r\n", errTrailer},
	{"trailer no colon", "0\r\nAb\r\n\r\n", "0\r\nA:b\r\n\r\n", errTrailer},
	{"trailer empty name", "0\r\n: b\r\n\r\n", "0\r\nA: b\r\n\r\n", errTrailer},
	{"trailer NUL", "0\r\nA: \x00\r\n\r\n", "0\r\nA: \x80\r\n\r\n", errTrailer},
	{"trailer bare LF", "0\r\nA: b\n\r\n", "0\r\nA: b\r\n\r\n", errBareLF},
	{"trailer bare CR", "0\r\nA: b\rc\r\n\r\n", "0\r\nA: b c\r\n\r\n", errBareCR},
	{"end bare LF", "0\r\n\n", "0\r\n\r\n", errBareLF},
	{"end bare CR", "0\r\n\rx", "0\r\n\r\n", errBareCR},
}

func TestChunkedInvalid(t *testing.T) {
	for _, tc := range invalidChunked {
		t.Run(tc.name, func(t *testing.T) {
			var d ChunkedDecoder
			_, _, _, err := decodeFeed(&d, tc.bad, nil)
			if err != tc.err {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
			if _, _, _, err := d.Decode([]byte("0\r\n\r\n")); err != tc.err {
				t.Fatalf("error not sticky: %v", err)
			}
			checkChunkedSplits(t, tc.bad)
			d.Reset()
			if _, _, _, err := decodeFeed(&d, tc.good, nil); err != nil {
				t.Fatalf("neighbour %q: %v", tc.good, err)
			}
			checkChunkedSplits(t, tc.good)
		})
	}
}

func TestChunkedTrailerLimit(t *testing.T) {
	trailer := "X: " + strings.Repeat("v", 90) + "\r\n\r\n" // the limit counts these bytes
	in := "3\r\nabc\r\n0\r\n" + trailer
	for _, tc := range []struct {
		max int
		err error
	}{
		{len(trailer), nil},
		{len(trailer) - 1, errTrailerTooLarge},
		{0, nil}, // the default
	} {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			d := ChunkedDecoder{MaxTrailerBytes: tc.max}
			got, _, done, err := decodeFeed(&d, in, nil)
			if err != tc.err || (err == nil) != done || got != "abc" {
				t.Fatalf("got %q, %v, %v", got, done, err)
			}
			d.Reset()
			if d.MaxTrailerBytes != tc.max {
				t.Fatal("Reset lost MaxTrailerBytes")
			}
		})
	}
	d := ChunkedDecoder{}
	big := "0\r\nX: " + strings.Repeat("v", DefaultMaxTrailerBytes) + "\r\n\r\n"
	if _, _, _, err := decodeFeed(&d, big, nil); err != errTrailerTooLarge {
		t.Fatalf("default limit: %v", err)
	}
}

func TestChunkedDecodeContract(t *testing.T) {
	var d ChunkedDecoder
	// Data comes back without a copy, as a sub-slice of the input.
	in := []byte("5\r\nhello\r\n0\r\n\r\nNEXT")
	n, data, done, err := d.Decode(in)
	if n != 8 || string(data) != "hello" || &data[0] != &in[3] || done || err != nil {
		t.Fatalf("first call: %d %q %v %v", n, data, done, err)
	}
	if cap(data) != len(data) {
		t.Fatal("data capacity reaches past the payload")
	}
	n, data, done, err = d.Decode(in[8:])
	if n != 7 || data != nil || !done || err != nil {
		t.Fatalf("second call: %d %q %v %v", n, data, done, err)
	}
	n, _, done, _ = d.Decode(in[15:])
	if n != 0 || !done {
		t.Fatal("not done after done")
	}
	// Nothing given, nothing consumed: needs more.
	d.Reset()
	if n, data, done, err := d.Decode(nil); n != 0 || data != nil || done || err != nil {
		t.Fatalf("empty input: %d %q %v %v", n, data, done, err)
	}
	// A chunk larger than the input is returned in pieces.
	d.Reset()
	n, data, _, _ = d.Decode([]byte("a\r\n01234"))
	if n != 8 || string(data) != "01234" {
		t.Fatalf("partial chunk: %d %q", n, data)
	}
	n, data, _, _ = d.Decode([]byte("56789\r\n0"))
	if n != 5 || string(data) != "56789" {
		t.Fatalf("rest of chunk: %d %q", n, data)
	}
}

func TestChunkedAllocs(t *testing.T) {
	in := []byte("5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n")
	var d ChunkedDecoder
	allocs := testing.AllocsPerRun(100, func() {
		d.Reset()
		for rest := in; ; {
			n, _, done, err := d.Decode(rest)
			if err != nil || done {
				break
			}
			rest = rest[n:]
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations, want 0", allocs)
	}
}

// TestChunkedPending: the announced size of the chunk being read is known
// as soon as its size line is in, so a caller can refuse it early.
func TestChunkedPending(t *testing.T) {
	var d ChunkedDecoder
	d.Reset()
	if d.Pending() != 0 {
		t.Fatalf("Pending before any input = %d", d.Pending())
	}
	in := []byte("800001\r\nabc")
	n, data, done, err := d.Decode(in)
	if err != nil || done {
		t.Fatalf("Decode: %v done=%v", err, done)
	}
	if n == 0 {
		t.Fatal("size line not consumed")
	}
	rest := 0x800001 - uint64(len(data))
	if n < len(in) {
		_, data2, _, _ := d.Decode(in[n:])
		rest -= uint64(len(data2))
	}
	if d.Pending() != rest {
		t.Fatalf("Pending = %d, want %d", d.Pending(), rest)
	}
	d.Reset()
	if _, _, _, err := d.Decode([]byte("3\r\nabc\r\n")); err != nil || d.Pending() != 0 {
		t.Fatalf("after a whole chunk: Pending = %d, err %v", d.Pending(), err)
	}
}
