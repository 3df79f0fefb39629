package testserver

import (
	"bytes"
	"context"
	"os/exec"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// Browser starts headless Chromium (Debian's chromium package) for a test
// and returns a chromedp context bound to ctx, and a function that returns
// the tail of the browser's own output for failure messages. The test is
// skipped, saying why, only when no Chromium binary can be found. The flags
// keep Chromium off the network: this workplace has none, and without them
// it stalls on refused connections.
//
// opts add to the browser's flags (for instance trusting a test
// certificate with chromedp.Flag("ignore-certificate-errors-spki-list", ...)).
func Browser(t testing.TB, ctx context.Context, opts ...chromedp.ExecAllocatorOption) (context.Context, func() string) {
	t.Helper()
	chromium := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		t.Skip("no chromium or chromium-browser binary on PATH (apt-get install chromium); skipping the browser test")
	}
	out := &LockedBuffer{}
	flags := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	}, opts...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, flags...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return bctx, out.tail
}

// LockedBuffer collects output written from other goroutines (a
// browser's, a server's logger) for the test to read.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Reset forgets what was written.
func (l *LockedBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

func (l *LockedBuffer) tail() string {
	s := l.String()
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}
