package http11

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
)

// browserRequest is what a desktop browser sends for a page: about 500
// bytes and a dozen fields.
const browserRequest = "GET /docs/index.html?lang=en&v=2 HTTP/1.1\r\n" +
	"Host: localhost:8080\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: session=4f2a9c1e7b; theme=dark\r\n" +
	"Referer: http://localhost:8080/\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"Sec-Fetch-Dest: document\r\n" +
	"Sec-Fetch-Mode: navigate\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"\r\n"

func BenchmarkParse(b *testing.B) {
	buf := []byte(browserRequest)
	var h Head
	var p Parser
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		p.Reset(&h)
		if n, err := p.Parse(buf); n != len(buf) || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkNetHTTPReadRequest(b *testing.B) {
	buf := []byte(browserRequest)
	rd := bytes.NewReader(buf)
	br := bufio.NewReader(rd)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(buf)
		br.Reset(rd)
		if _, err := http.ReadRequest(br); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChunked(b *testing.B) {
	// 64 KiB of payload in 4 KiB chunks, one with an extension, and a trailer.
	var body bytes.Buffer
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 256)
	for i := 0; i < 16; i++ {
		if i == 7 {
			body.WriteString("1000;name=\"v\"\r\n")
		} else {
			body.WriteString("1000\r\n")
		}
		body.Write(chunk)
		body.WriteString("\r\n")
	}
	body.WriteString("0\r\nChecksum: abc\r\n\r\n")
	in := body.Bytes()
	var d ChunkedDecoder
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		total, rest := 0, in
		for {
			n, data, done, err := d.Decode(rest)
			if err != nil {
				b.Fatal(err)
			}
			total += len(data)
			rest = rest[n:]
			if done {
				break
			}
		}
		if total != 16*4096 {
			b.Fatal(total)
		}
	}
}
