package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// openFeeds is the script the test injects into the page: it opens n
// EventSources on /events at once and counts, per source, the events
// received; window.feeds reports them and how many are open.
const openFeeds = `(() => {
	const n = 8;
	window.feedCounts = new Array(n).fill(0);
	window.feedSources = [];
	for (let i = 0; i < n; i++) {
		const es = new EventSource('/events?feed=' + i);
		es.onmessage = () => { window.feedCounts[i]++; };
		window.feedSources.push(es);
	}
	return n;
})()`

// TestDemoOverHTTP2InBrowser serves the demo over https as -tls does,
// where the zero Protocols means HTTP/2 by ALPN, and opens it in headless
// Chromium: DevTools reports "h2" for the page, and 8 EventSource streams
// to the same origin receive events at once, which HTTP/1.1's six
// connections per host cannot carry (the control run with HTTP1 only
// shows at most six of them getting anything). The page's own WebSocket
// still opens beside them (Chromium takes an HTTP/1.1 connection for it).
func TestDemoOverHTTP2InBrowser(t *testing.T) {
	for _, tc := range []struct {
		name      string
		protocols phttp.Protocols
		proto     string // DevTools' response.protocol
	}{
		{"h2", 0, "h2"},
		{"http1-control", phttp.HTTP1, "http/1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert, _, err := selfSigned()
			if err != nil {
				t.Fatal(err)
			}
			leaf, err := x509.ParseCertificate(cert.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
			ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
			defer cancel()
			bctx, browserLog := testserver.Browser(t, ctx, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))

			g := newGateway(100 * time.Millisecond)
			g.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
			g.srv.Protocols = tc.protocols
			s := testserver.Start(t, g.srv)
			go g.tickLoop()
			t.Cleanup(g.stopTicks)

			var (
				mu          sync.Mutex
				feedProtos  []string
				feedsByConn = map[float64]bool{}
			)
			err = chromedp.Listen(bctx, func(ev any) {
				if ev, ok := ev.(*network.EventResponseReceived); ok && ev.Type == network.ResourceTypeEventSource && ev.Response != nil {
					mu.Lock()
					feedProtos = append(feedProtos, ev.Response.Protocol)
					feedsByConn[ev.Response.ConnectionID] = true
					mu.Unlock()
				}
			})
			if err == nil {
				_, err = chromedp.Call(bctx, network.Enable, network.EnableParams{})
			}
			if err != nil {
				t.Fatalf("DevTools: %v\nbrowser output:\n%s", err, browserLog())
			}
			resp, err := chromedp.RunResponse(bctx, chromedp.Navigate("https://"+s.Host+"/"))
			if err != nil {
				t.Fatalf("opening the demo page over https: %v\nbrowser output:\n%s", err, browserLog())
			}
			if resp.Protocol != tc.proto || resp.Status != 200 {
				t.Fatalf("the page came over %q with status %d, want %q and 200", resp.Protocol, resp.Status, tc.proto)
			}
			// The page's wss WebSocket opens and ticks arrive.
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`document.getElementById('status').textContent === 'open' && Number(document.getElementById('ticks').textContent) >= 2`,
				chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
			if err != nil {
				t.Fatalf("the page's WebSocket did not open beside %s: %v\n%s", tc.proto, err, demoState(bctx))
			}

			if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](openFeeds)); err != nil {
				t.Fatalf("opening the EventSources: %v", err)
			}
			counts := func() string {
				s, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`JSON.stringify(window.feedCounts) + ' readyStates ' + JSON.stringify(window.feedSources.map(e => e.readyState))`))
				return s
			}
			if tc.protocols == 0 {
				// All 8 open together, each with 3 events or more.
				all := chromedp.Poll[bool](`window.feedCounts.every(c => c >= 3) && window.feedSources.every(e => e.readyState === 1)`,
					chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))
				if _, err := chromedp.Run(bctx, all); err != nil {
					t.Fatalf("the 8 EventSources did not all receive events at once: %v (%s)\n%s", err, counts(), demoState(bctx))
				}
				mu.Lock()
				defer mu.Unlock()
				if len(feedProtos) != 8 {
					t.Errorf("DevTools reported %d EventSource responses, want 8: %v", len(feedProtos), feedProtos)
				}
				for _, p := range feedProtos {
					if p != "h2" {
						t.Errorf("an EventSource came over %q, want h2 (all: %v)", p, feedProtos)
						break
					}
				}
				if len(feedsByConn) != 1 {
					t.Errorf("the 8 EventSources used %d connections, want one HTTP/2 connection", len(feedsByConn))
				}
				t.Logf("feeds: %s; server: %s", counts(), g.srv.Stats())
				return
			}
			// The control: once six sources have had 3 events each (so
			// several intervals have passed), the others still have none:
			// the browser holds them back, which is what HTTP/2 lifts.
			six := chromedp.Poll[bool](`window.feedCounts.filter(c => c >= 3).length >= 6`,
				chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))
			if _, err := chromedp.Run(bctx, six); err != nil {
				t.Fatalf("over HTTP/1.1 six EventSources did not receive events: %v (%s)", err, counts())
			}
			got, err := chromedp.Run(bctx, chromedp.Evaluate[int](`window.feedCounts.filter(c => c > 0).length`))
			if err != nil || got > 6 {
				t.Fatalf("over HTTP/1.1 %d EventSources received events (%v): the browser's six-per-host limit did not show, so the h2 run proves nothing (%s)", got, err, counts())
			}
		})
	}
}
