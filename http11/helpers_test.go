package http11

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// result is a Head turned into plain values, so that parses of the same
// bytes fed in different pieces can be compared with ==.
type result struct {
	N                              int
	Method, Target                 string
	Minor                          int
	Fields                         string // "Name: value\n" per field
	CL                             int64
	Chunked                        bool
	Host                           string
	HasHost                        bool
	Close, KeepAlive, Upgrade, Exp bool
}

func toResult(buf []byte, n int, h *Head) result {
	var f strings.Builder
	for _, x := range h.Fields {
		fmt.Fprintf(&f, "%s: %s\n", x.Name.Bytes(buf), x.Value.Bytes(buf))
	}
	return result{
		N: n, Method: string(h.Method.Bytes(buf)), Target: string(h.Target.Bytes(buf)),
		Minor: h.Minor, Fields: f.String(), CL: h.ContentLength, Chunked: h.Chunked,
		Host: string(h.Host.Bytes(buf)), HasHost: h.HasHost,
		Close: h.Close, KeepAlive: h.KeepAlive, Upgrade: h.Upgrade, Exp: h.Expect100,
	}
}

// parseOnce parses in as one piece.
func parseOnce(in string, max int) (result, error) {
	var h Head
	p := Parser{MaxHeaderBytes: max}
	p.Reset(&h)
	buf := []byte(in)
	n, err := p.Parse(buf)
	if err != nil {
		return result{}, err
	}
	if n == 0 {
		return result{}, errNeedMore
	}
	return toResult(buf, n, &h), nil
}

var errNeedMore = errors.New("needs more bytes")

// parsePieces feeds in as a growing buffer whose length goes through cuts
// (then len(in)). Every call gets a fresh copy of the prefix, so the parser
// cannot lean on bytes beyond what it was given.
func parsePieces(in string, max int, cuts []int) (result, error) {
	var h Head
	p := Parser{MaxHeaderBytes: max}
	p.Reset(&h)
	for _, k := range append(cuts, len(in)) {
		buf := []byte(in[:k])
		n, err := p.Parse(buf)
		if err != nil {
			return result{}, err
		}
		if n > 0 {
			if n > k {
				return result{}, fmt.Errorf("n = %d beyond the %d bytes given", n, k)
			}
			return toResult(buf, n, &h), nil
		}
	}
	return result{}, errNeedMore
}

// forEachSplit calls f with the one-byte-at-a-time feeding and with every
// two-piece split of in. Past 1 KiB (only the limit tests) the two-piece
// splits are sampled, every 61st, to keep the tests quick under -race.
func forEachSplit(in string, f func(desc string, cuts []int)) {
	ones := make([]int, 0, len(in))
	for k := 1; k < len(in); k++ {
		ones = append(ones, k)
	}
	f("byte at a time", ones)
	step := 1
	if len(in) > 1024 {
		step = 61
	}
	for k := 0; k <= len(in); k += step {
		f(fmt.Sprintf("split at %d", k), []int{k})
	}
}

// checkSplits asserts that every feeding of in gives what one piece gives.
func checkSplits(t *testing.T, in string, max int) {
	t.Helper()
	want, wantErr := parseOnce(in, max)
	forEachSplit(in, func(desc string, cuts []int) {
		got, err := parsePieces(in, max, cuts)
		if err != wantErr || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %+v, %v; one piece gave %+v, %v", desc, got, err, want, wantErr)
		}
	})
}
