//go:build !linux

package phttp

// unsentBytes is not known here: the write timer falls back to trying one
// more write when it fires late.
func unsentBytes(sysSocket) (int, bool) { return 0, false }
