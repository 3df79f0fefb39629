package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2/hpack"
)

// cmdH2load runs h2load (Debian's nghttp2-client; one thread, since the
// client has one core) against /plaintext over HTTP/2: h2c with prior
// knowledge, or h2 by ALPN with LOADGEN_TLS. It emits req/s per run as
// h2rps@CxM (C connections, M concurrent streams on each).
func cmdH2load(args []string) error {
	fs := flag.NewFlagSet("h2load", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	conns := fs.Int("c", 1, "connections")
	streams := fs.Int("m", 100, "concurrent streams per connection")
	dur := fs.Duration("d", 3*time.Second, "duration of one run")
	runs := fs.Int("runs", 3, "runs")
	pid := fs.Int("pid", 0, "server pid, for its CPU use")
	fs.Parse(args)

	name := fmt.Sprintf("h2rps@%dx%d", *conns, *streams)
	var failed error
	for range *runs {
		cpu := startCPU(*pid)
		rps, err := runH2load(*addr, *conns, *streams, *dur)
		share := cpu.report(name)
		if err != nil {
			emit(name, "fail")
			failed = err
			logf("%s: %v", name, err)
			continue
		}
		emitRate(name, rps, share)
		logf("%s: %.0f req/s", name, rps)
	}
	return failed
}

var (
	h2loadRPS      = regexp.MustCompile(`finished in [0-9.]+m?s, ([0-9.]+) req/s`)
	h2loadRequests = regexp.MustCompile(`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)
	h2loadStatus   = regexp.MustCompile(`status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx`)
	h2loadProto    = regexp.MustCompile(`Application protocol: (\S+)`)
)

// runH2load runs h2load once for dur and parses its summary. A failed,
// errored or non-2xx request fails the run, and so does a protocol other
// than HTTP/2: a server that fell back to HTTP/1.1 must not be measured
// as an HTTP/2 one.
func runH2load(addr string, conns, streams int, dur time.Duration) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dur+15*time.Second)
	defer cancel()
	secs := max(1, int(dur.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, "h2load", "-t1", "-c"+strconv.Itoa(conns), "-m"+strconv.Itoa(streams),
		"-D", strconv.Itoa(secs), "-T", "5", scheme()+"://"+addr+"/plaintext")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		return 0, fmt.Errorf("h2load: %v: %s", err, strings.TrimSpace(text))
	}
	if p := h2loadProto.FindStringSubmatch(text); p == nil || (p[1] != "h2" && p[1] != "h2c") {
		return 0, fmt.Errorf("h2load did not speak HTTP/2: %s", strings.TrimSpace(text))
	}
	m, req, st := h2loadRPS.FindStringSubmatch(text), h2loadRequests.FindStringSubmatch(text), h2loadStatus.FindStringSubmatch(text)
	if m == nil || req == nil || st == nil {
		return 0, fmt.Errorf("cannot parse h2load output: %s", text)
	}
	if req[5] != "0" || req[6] != "0" || st[2] != "0" || st[3] != "0" || st[4] != "0" {
		return 0, fmt.Errorf("h2load: %s; %s", req[0], st[0])
	}
	if req[7] != "0" {
		note("h2load -c%d -m%d: %s requests timed out", conns, streams, req[7])
	}
	rps, _ := strconv.ParseFloat(m[1], 64)
	if rps == 0 {
		return 0, fmt.Errorf("h2load: no request completed: %s", text)
	}
	return rps, nil
}

// h2Preface is what an idle HTTP/2 client sends first: the preface, an
// empty SETTINGS, and one GET /plaintext on stream 1 (HEADERS with
// END_STREAM and END_HEADERS).
func h2Preface(addr string) []byte {
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", scheme()}, {":authority", addr}, {":path", "/plaintext"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	out := []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	out = appendFrame(out, 0x4, 0, 0, nil)                 // SETTINGS
	out = appendFrame(out, 0x1, 0x1|0x4, 1, block.Bytes()) // HEADERS, END_STREAM|END_HEADERS
	return out
}

func appendFrame(dst []byte, typ, flags byte, stream uint32, payload []byte) []byte {
	n := len(payload)
	dst = append(dst, byte(n>>16), byte(n>>8), byte(n), typ, flags)
	dst = binary.BigEndian.AppendUint32(dst, stream&0x7fffffff)
	return append(dst, payload...)
}

// h2Request opens an HTTP/2 connection for the idle test: TLS with ALPN
// "h2" under LOADGEN_TLS, else h2c with prior knowledge. It sends
// h2Preface, acknowledges the server's SETTINGS, and returns once stream
// 1 has ended with a 200, leaving the connection open and idle.
func h2Request(d *net.Dialer, addr string, preface []byte) (net.Conn, error) {
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if useTLS {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, SessionTicketsDisabled: true, NextProtos: []string{"h2"}})
		if err := tc.Handshake(); err != nil {
			c.Close()
			return nil, err
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
			c.Close()
			return nil, fmt.Errorf("ALPN chose %q, not h2", p)
		}
		c = tc
	}
	if _, err := c.Write(preface); err != nil {
		c.Close()
		return nil, err
	}
	var (
		head      [9]byte
		payload   []byte
		settings  bool
		status    bool
		streamEnd bool
	)
	for !settings || !streamEnd {
		if _, err := io.ReadFull(c, head[:]); err != nil {
			c.Close()
			return nil, fmt.Errorf("reading a frame: %w", err)
		}
		n := int(head[0])<<16 | int(head[1])<<8 | int(head[2])
		typ, flags, stream := head[3], head[4], binary.BigEndian.Uint32(head[5:])&0x7fffffff
		if cap(payload) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(c, payload); err != nil {
			c.Close()
			return nil, err
		}
		switch {
		case typ == 0x4 && flags&0x1 == 0: // SETTINGS: acknowledge
			settings = true
			if _, err := c.Write(appendFrame(nil, 0x4, 0x1, 0, nil)); err != nil {
				c.Close()
				return nil, err
			}
		case typ == 0x1 && stream == 1: // HEADERS (neither server pads them or sends a priority)
			fields, err := hpack.NewDecoder(4096, nil).DecodeFull(payload)
			if err != nil || flags&0x4 == 0 {
				c.Close()
				return nil, fmt.Errorf("response HEADERS (flags %#x): %v", flags, err)
			}
			status = len(fields) > 0 && fields[0].Name == ":status" && fields[0].Value == "200"
			streamEnd = streamEnd || flags&0x1 != 0
		case typ == 0x0 && stream == 1: // DATA
			streamEnd = streamEnd || flags&0x1 != 0
		case typ == 0x3 && stream == 1, typ == 0x7: // RST_STREAM, GOAWAY
			c.Close()
			return nil, fmt.Errorf("frame type %d from the server", typ)
		}
	}
	if !status {
		c.Close()
		return nil, errors.New("stream 1 did not answer 200")
	}
	return c, nil
}
