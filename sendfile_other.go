//go:build !linux

package phttp

import (
	"errors"
	"syscall"
)

// sendfileWorks is false here: ReadFrom copies files like any reader (the
// BSDs' and Windows' file-to-socket calls differ, and are not used).
const sendfileWorks = false

func sendFile(sysSocket, syscall.RawConn, int64, int64) (int, error) {
	return 0, errors.New("phttp: sendfile is not used on this platform")
}
