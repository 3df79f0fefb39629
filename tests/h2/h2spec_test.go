package h2_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
)

// h2specCases is how many cases h2spec v2.2.1 runs with -S: its
// "generic", "http2" and "hpack" sections (145), and the one strict case,
// http2/5.4.1/2 (an invalid PING answered with GOAWAY before the close).
// A report with another count means it was misread or the suite changed.
const h2specCases = 146

// TestH2Spec runs h2spec (github.com/summerwind/h2spec v2.2.1, the
// independent HTTP/2 conformance suite, strict case included) against
// phttp over h2c (beside HTTP/1.1, and alone) and over h2 with TLS, and
// fails with the list of failed cases. It is skipped when h2spec is not
// on PATH (or in GOPATH/bin), unless PHTTP_REQUIRE_H2SPEC is set, as CI
// sets it. (net/http's own server, Go 1.26, without -S: it fails
// http2/4.2/3, http2/6.5.3/1, http2/8.1.2.2/1 and http2/8.1.2.2/2 in
// both modes, and http2/3.5/2 and http2/8.1.2.6/2 on h2c too: 139 of
// 145 on h2c, 141 over TLS.)
func TestH2Spec(t *testing.T) {
	bin := h2specPath()
	if bin == "" {
		if os.Getenv("PHTTP_REQUIRE_H2SPEC") != "" {
			t.Fatal("PHTTP_REQUIRE_H2SPEC is set but h2spec is not on PATH: go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible")
		}
		t.Skip("h2spec not on PATH (go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible)")
	}
	// h2c beside HTTP/1.1 on one listener (as start makes it), h2c
	// alone, and h2 over TLS.
	for _, tc := range []struct {
		m         mode
		name      string
		protocols phttp.Protocols
	}{
		{modes[0], "h2c", 0},
		{modes[0], "h2c-only", phttp.UnencryptedHTTP2},
		{modes[1], "h2", 0},
	} {
		m := tc.m
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := &phttp.Server{Protocols: tc.protocols, Handler: func(w *phttp.Response, r *phttp.Request) {
				w.SetHeader("Content-Type", "text/plain")
				fmt.Fprintf(w, "%s %s: %d bytes received\n", r.Method, r.Path, len(r.Body))
			}}
			s := start(t, m, srv)
			report := filepath.Join(t.TempDir(), "h2spec.xml")
			_, port, _ := strings.Cut(s.Host, ":")
			args := []string{"-S", "-h", "127.0.0.1", "-p", port, "-o", "2", "-j", report}
			if m.tls {
				args = append(args, "-t", "-k")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			out, runErr := exec.CommandContext(ctx, bin, args...).CombinedOutput()
			cases, err := readH2specReport(report)
			if err != nil {
				t.Fatalf("h2spec %s: %v (exit: %v)\n%s", strings.Join(args, " "), err, runErr, out)
			}
			var failed, skipped []string
			for _, c := range cases {
				switch {
				case c.failed:
					failed = append(failed, fmt.Sprintf("%s %s\n      %s", c.id, c.title, strings.ReplaceAll(strings.TrimSpace(c.message), "\n", "\n      ")))
				case c.skipped:
					skipped = append(skipped, c.id+" "+c.title)
				}
			}
			t.Logf("h2spec %s: %d cases, %d passed, %d failed, %d skipped", tc.name, len(cases), len(cases)-len(failed)-len(skipped), len(failed), len(skipped))
			if len(cases) != h2specCases {
				t.Errorf("h2spec ran %d cases, want %d\n%s", len(cases), h2specCases, out)
			}
			if len(skipped) > 0 {
				t.Errorf("h2spec skipped %d cases:\n  %s", len(skipped), strings.Join(skipped, "\n  "))
			}
			if len(failed) > 0 {
				t.Errorf("h2spec failed %d of %d cases:\n  %s", len(failed), len(cases), strings.Join(failed, "\n  "))
			}
		})
	}
}

// h2specPath finds the h2spec binary: on PATH, or where go install puts it.
func h2specPath() string {
	if p, err := exec.LookPath("h2spec"); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(goPath(), "bin")} {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, "h2spec"); isExecutable(p) {
			return p
		}
	}
	return ""
}

func goPath() string {
	if p := os.Getenv("GOPATH"); p != "" {
		return filepath.SplitList(p)[0]
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go")
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// h2specCase is one case of an h2spec JUnit report.
type h2specCase struct {
	id      string // "http2/6.5.3/1": the section's package and the case's number in it, as h2spec names cases on its command line
	title   string
	failed  bool
	skipped bool
	message string
}

// readH2specReport reads the JUnit XML h2spec writes with -j.
func readH2specReport(path string) ([]h2specCase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Suites []struct {
			Package string `xml:"package,attr"`
			Cases   []struct {
				Title string `xml:"classname,attr"`
				Error *struct {
					Text string `xml:",chardata"`
				} `xml:"error"`
				Failure *struct {
					Text string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var cases []h2specCase
	for _, s := range doc.Suites {
		for i, c := range s.Cases {
			hc := h2specCase{id: s.Package + "/" + strconv.Itoa(i+1), title: c.Title, skipped: c.Skipped != nil}
			if c.Error != nil {
				hc.failed, hc.message = true, c.Error.Text
			}
			if c.Failure != nil {
				hc.failed, hc.message = true, hc.message+c.Failure.Text
			}
			cases = append(cases, hc)
		}
	}
	return cases, nil
}

// TestH2load drives phttp with h2load (nghttp2's load client, Debian's
// nghttp2-client): 20,000 requests on 4 connections with 100 streams
// each, over h2c and over TLS; every one must succeed with a 2xx, on
// exactly those 4 connections. Skipped when h2load is not on PATH,
// unless PHTTP_REQUIRE_H2LOAD is set, as CI sets it.
func TestH2load(t *testing.T) {
	bin, err := exec.LookPath("h2load")
	if err != nil {
		if os.Getenv("PHTTP_REQUIRE_H2LOAD") != "" {
			t.Fatal("PHTTP_REQUIRE_H2LOAD is set but h2load is not on PATH (apt-get install nghttp2-client)")
		}
		t.Skip("h2load not on PATH (apt-get install nghttp2-client)")
	}
	eachMode(t, func(t *testing.T, m mode) {
		const n = 20000
		s := start(t, m, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
			w.WriteString("Hello, World!")
		}})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, "-n", strconv.Itoa(n), "-c", "4", "-m", "100", "-t", "1", s.URL+"/plaintext").CombinedOutput()
		text := string(out)
		want := fmt.Sprintf("requests: %d total, %d started, %d done, %d succeeded, 0 failed, 0 errored, 0 timeout", n, n, n, n)
		if err != nil || !strings.Contains(text, want) || !strings.Contains(text, fmt.Sprintf("status codes: %d 2xx", n)) {
			t.Fatalf("h2load: %v, want %q:\n%s", err, want, text)
		}
		if !strings.Contains(text, "Application protocol: "+m.name) {
			t.Errorf("h2load did not speak %s:\n%s", m.name, text)
		}
		if st := s.Stats(); st.Accepted != 4 || st.Requests != n {
			t.Errorf("Stats: %d connections, %d requests; want 4 and %d", st.Accepted, st.Requests, n)
		}
	})
}
