package phttp

import "unsafe"

// headChunk is the size of the blocks request heads are copied into.
const headChunk = 16 << 10

// headArena gives each request head a string that outlives the read buffer
// — the Request's strings are slices of it — for a fraction of an
// allocation: heads are copied one after another into a shared block, and
// a new block is made only when one is full. The bytes of a block are
// written once and never changed, so strings made from them are as
// immutable as any Go string, and the garbage collector keeps a block
// alive while any of its strings is. The cost is that a string a handler
// keeps holds its whole block (16 KiB) rather than its own bytes.
type headArena struct {
	block []byte // loop-owned; only the bytes past len are ever written
}

// copy returns p's bytes as a string that stays valid.
func (a *headArena) copy(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	if len(p) > headChunk/4 {
		return string(p) // big heads would waste most of a block
	}
	if cap(a.block)-len(a.block) < len(p) {
		a.block = make([]byte, 0, headChunk)
	}
	start := len(a.block)
	a.block = append(a.block, p...)
	return unsafe.String(&a.block[start], len(p))
}
