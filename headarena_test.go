package phttp

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestHeadArenaStringsStayValid: strings handed out earlier keep their
// bytes however many heads follow, across block boundaries, and whatever
// the caller does to its own buffer afterwards.
func TestHeadArenaStringsStayValid(t *testing.T) {
	var a headArena
	var kept []string
	var want []string
	buf := make([]byte, 0, 4096)
	for i := range 2000 {
		buf = fmt.Appendf(buf[:0], "GET /item/%d HTTP/1.1\r\nHost: localhost\r\nX-Pad: %s\r\n\r\n", i, strings.Repeat("p", i%300))
		kept = append(kept, a.copy(buf))
		want = append(want, string(buf))
		for j := range buf {
			buf[j] = 'x' // the read buffer is reused for the next request
		}
	}
	for i := range kept {
		if kept[i] != want[i] {
			t.Fatalf("head %d changed: %q", i, kept[i])
		}
	}
	big := bytes.Repeat([]byte("h"), headChunk) // larger than a block's share
	if s := a.copy(big); len(s) != len(big) || s != string(big) {
		t.Fatal("a big head was not copied whole")
	}
	if a.copy(nil) != "" {
		t.Fatal("an empty head is not the empty string")
	}
}
