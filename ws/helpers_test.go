package ws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/gobwas/ws"
)

// testMask is a fixed, asymmetric mask so that a wrong mask offset shows.
var testMask = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// clientFrame builds one masked client frame the way a browser would.
func clientFrame(op ws.OpCode, fin bool, payload []byte) []byte {
	return rawFrame(op, fin, 0, true, testMask, payload)
}

// rawFrame builds a frame with every header field under the test's control.
func rawFrame(op ws.OpCode, fin bool, rsv byte, masked bool, mask [4]byte, payload []byte) []byte {
	b0 := byte(op)&0x0f | rsv<<4
	if fin {
		b0 |= 0x80
	}
	var b []byte
	n := len(payload)
	m := byte(0)
	if masked {
		m = 0x80
	}
	switch {
	case n <= 125:
		b = append(b, b0, m|byte(n))
	case n <= 0xffff:
		b = append(b, b0, m|126, byte(n>>8), byte(n))
	default:
		b = append(b, b0, m|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if masked {
		b = append(b, mask[:]...)
	}
	start := len(b)
	b = append(b, payload...)
	if masked {
		ws.Cipher(b[start:], mask, 0)
	}
	return b
}

func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// rec is an Event with its payload copied, for comparison.
type rec struct {
	Kind    Kind
	Payload string
	Code    ws.StatusCode
	Reason  string
}

func (e rec) String() string {
	p := e.Payload
	if len(p) > 40 {
		p = fmt.Sprintf("%q...(%d bytes)", p[:40], len(p))
	} else {
		p = fmt.Sprintf("%q", p)
	}
	if e.Kind == Close {
		return fmt.Sprintf("%v(%d %q)", e.Kind, e.Code, e.Reason)
	}
	return fmt.Sprintf("%v(%s)", e.Kind, p)
}

// result is what a whole feed produced: its events and the error's close
// code (0 when it ended without error).
type result struct {
	events []rec
	code   ws.StatusCode
}

func (a result) equal(b result) bool {
	if a.code != b.code || len(a.events) != len(b.events) {
		return false
	}
	for i := range a.events {
		if a.events[i] != b.events[i] {
			return false
		}
	}
	return true
}

// feeder plays the event loop: bytes arrive in pieces, are appended to a
// pending buffer, and Read is called until it reports "need more".
type feeder struct {
	r       *Reader
	pending []byte
	orig    []byte // the whole input as sent, to check unconsumed bytes are untouched
	base    int    // offset of pending[0] in orig
	res     result
	done    bool
	// check is called after every Read, for invariants such as the buffer
	// bound; it may be nil.
	check func(r *Reader)
}

// add feeds one piece. It reports problems with the Reader's contract
// through t.
func (f *feeder) add(t testing.TB, piece []byte) {
	t.Helper()
	if f.done {
		return
	}
	f.pending = append(f.pending, piece...)
	for {
		n, ev, err := f.r.Read(f.pending)
		if f.check != nil {
			f.check(f.r)
		}
		if n < 0 || n > len(f.pending) {
			t.Fatalf("Read consumed %d of %d bytes", n, len(f.pending))
		}
		if err == nil && !bytes.Equal(f.pending[n:], f.orig[f.base+n:f.base+len(f.pending)]) {
			t.Fatalf("Read modified unconsumed bytes")
		}
		f.base += n
		if err != nil {
			var pe ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("Read returned %T %v, want a ProtocolError", err, err)
			}
			if ev.Kind != None {
				t.Fatalf("Read returned an event (%v) with an error", ev.Kind)
			}
			// Sticky: the same error again, nothing consumed.
			if n2, ev2, err2 := f.r.Read(f.pending[n:]); err2 != err || n2 != 0 || ev2.Kind != None {
				t.Fatalf("after %v, Read returned %d, %v, %v", err, n2, ev2.Kind, err2)
			}
			f.res.code = pe.Code
			f.done = true
			return
		}
		if ev.Kind != None {
			f.res.events = append(f.res.events, rec{ev.Kind, string(ev.Payload), ev.Code, ev.Reason})
			f.pending = f.pending[n:]
			continue
		}
		f.pending = f.pending[n:]
		// "Need more" must be stable: without new bytes, nothing happens
		// (after a close, everything is swallowed and nothing is pending).
		if n2, ev2, err2 := f.r.Read(f.pending); n2 != 0 || ev2.Kind != None || err2 != nil {
			t.Fatalf("need-more not stable: second Read returned %d, %v, %v (pending %x)", n2, ev2.Kind, err2, f.pending)
		}
		if n == 0 && len(f.pending) > 2+8+4+125 {
			t.Fatalf("Read made no progress on %d pending bytes", len(f.pending))
		}
		// Move the rest to a new buffer as a loop might; the old one is
		// scribbled over so that a payload kept past its validity shows.
		old := f.pending
		f.pending = append(make([]byte, 0, len(old)+64), old...)
		for i := range old {
			old[i] = 0xee
		}
		return
	}
}

// feed runs input through a fresh Reader, cut at the given offsets.
func feed(t testing.TB, max int64, input []byte, cuts []int) result {
	t.Helper()
	in := append([]byte(nil), input...) // Read unmasks in place
	f := &feeder{r: &Reader{MaxMessageBytes: max}, orig: input}
	prev := 0
	for _, c := range cuts {
		f.add(t, in[prev:c])
		prev = c
	}
	f.add(t, in[prev:])
	return f.res
}

// feedSplits checks that input yields want however it is cut: in one piece,
// in two at every offset, one byte at a time, and in three at a few offsets.
func feedSplits(t *testing.T, max int64, input []byte, want result) {
	t.Helper()
	if got := feed(t, max, input, nil); !got.equal(want) {
		t.Fatalf("one piece: got %v code %d, want %v code %d", got.events, got.code, want.events, want.code)
	}
	for i := 0; i <= len(input); i++ {
		// Big inputs: every offset near the ends, a sample in between, to
		// keep the test quadratic only in small inputs.
		if len(input) > 4096 && i > 512 && i < len(input)-512 && i%251 != 0 {
			continue
		}
		if got := feed(t, max, input, []int{i}); !got.equal(want) {
			t.Fatalf("cut at %d: got %v code %d, want %v code %d", i, got.events, got.code, want.events, want.code)
		}
	}
	ones := make([]int, 0, len(input))
	for i := 1; i < len(input); i++ {
		ones = append(ones, i)
	}
	if got := feed(t, max, input, ones); !got.equal(want) {
		t.Fatalf("byte by byte: got %v code %d, want %v code %d", got.events, got.code, want.events, want.code)
	}
	if len(input) < 300 {
		for i := 0; i <= len(input); i++ {
			for j := i; j <= len(input); j += 7 {
				if got := feed(t, max, input, []int{i, j}); !got.equal(want) {
					t.Fatalf("cuts at %d,%d: got %v code %d, want %v code %d", i, j, got.events, got.code, want.events, want.code)
				}
			}
		}
	}
}
