package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestDemoOverTLSInBrowser serves the demo as -tls does (a self-signed
// certificate made at start) and opens it in headless Chromium over
// https: the page's WebSocket (wss) opens, ticks arrive and the echo
// comes back. Chromium is told to trust exactly that certificate's key.
func TestDemoOverTLSInBrowser(t *testing.T) {
	cert, fingerprint, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	if len(fingerprint) != 95 {
		t.Fatalf("fingerprint %q: want 32 colon-separated bytes", fingerprint)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	bctx, browserLog := testserver.Browser(t, ctx, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))

	g := newGateway(200 * time.Millisecond)
	g.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	s := testserver.Start(t, g.srv)
	go g.tickLoop()
	t.Cleanup(g.stopTicks)

	const typed = "hello over tls"
	if err := chromedp.Do(bctx, chromedp.Navigate("https://"+s.Host+"/")); err != nil {
		t.Fatalf("opening the demo page over https: %v\nbrowser output:\n%s", err, browserLog())
	}
	_, err = chromedp.Run(bctx, chromedp.Poll[bool](`location.protocol === 'https:' && document.getElementById('status').textContent === 'open'`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	if err == nil {
		err = chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#msg"), typed+"\r"))
	}
	if err != nil {
		state, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`location.href + ' | ' + document.title + ' | ' + (document.getElementById('status')||{}).textContent`))
		t.Fatalf("the page's wss connection did not open: %v (page: %s)\nbrowser output:\n%s", err, state, browserLog())
	}
	seen := chromedp.Poll[bool](`Number(document.getElementById('ticks').textContent) >= 3 &&
		[...document.querySelectorAll('#log .line')].some(d => d.textContent === 'echo: `+typed+`')`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))
	if _, err := chromedp.Run(bctx, seen); err != nil {
		t.Fatalf("over wss the page did not show 3 ticks and the echo: %v\n%s", err, demoState(bctx))
	}
}
