package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// respReader reads HTTP/1.1 responses off a raw connection without
// net/http, so that the client spends its one core on the server's answers
// rather than on its own parsing. It knows just enough for /plaintext: a
// head ending in CRLF CRLF and a body of Content-Length bytes.
type respReader struct {
	c    net.Conn
	buf  []byte
	r, w int // unread bytes are buf[r:w]
}

func newRespReader(c net.Conn, size int) *respReader {
	return &respReader{c: c, buf: make([]byte, size)}
}

var (
	errNoLength   = errors.New("response without Content-Length")
	errBadStatus  = errors.New("malformed status line")
	errTooLarge   = errors.New("response larger than the read buffer")
	headEnd       = []byte("\r\n\r\n")
	contentLength = []byte("content-length:")
)

// next returns the status code of the next whole response, reading as
// much as it needs (and more: what follows stays buffered).
func (rr *respReader) next() (int, error) {
	for {
		status, size, err := parseResponse(rr.buf[rr.r:rr.w])
		if err != nil {
			return 0, err
		}
		if size > 0 {
			rr.r += size
			return status, nil
		}
		if rr.r > 0 {
			rr.w = copy(rr.buf, rr.buf[rr.r:rr.w])
			rr.r = 0
		}
		if rr.w == len(rr.buf) {
			return 0, errTooLarge
		}
		n, err := rr.c.Read(rr.buf[rr.w:])
		rr.w += n
		if n == 0 && err != nil {
			return 0, err
		}
	}
}

// parseResponse returns the status and length of the response at the
// start of b, or size 0 when b does not hold all of it yet.
func parseResponse(b []byte) (status, size int, err error) {
	end := bytes.Index(b, headEnd)
	if end < 0 {
		return 0, 0, nil
	}
	head := b[:end+2] // keep the last line's CRLF
	if len(head) < 12 || !bytes.HasPrefix(head, []byte("HTTP/1.")) || head[8] != ' ' {
		return 0, 0, fmt.Errorf("%w: %q", errBadStatus, head[:min(len(head), 40)])
	}
	status, err = strconv.Atoi(string(head[9:12]))
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %q", errBadStatus, head[:min(len(head), 40)])
	}
	length := -1
	for line := range bytes.SplitSeq(head, []byte("\r\n")) {
		if len(line) > len(contentLength) && bytes.EqualFold(line[:len(contentLength)], contentLength) {
			length, err = strconv.Atoi(string(bytes.TrimSpace(line[len(contentLength):])))
			if err != nil {
				return 0, 0, fmt.Errorf("bad Content-Length %q", line)
			}
		}
	}
	if length < 0 {
		if status == 101 || status == 204 || status == 304 {
			length = 0
		} else {
			return 0, 0, errNoLength
		}
	}
	total := end + 4 + length
	if len(b) < total {
		return 0, 0, nil
	}
	return status, total, nil
}
