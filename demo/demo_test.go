package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestDemoInBrowser opens the demo page in headless Chromium: it must show
// at least 5 ticks pushed by the tick goroutine, the echo of what is typed,
// and, once the server shuts down, that the server went away.
func TestDemoInBrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	bctx, browserLog := testserver.Browser(t, ctx)

	g := newGateway(200 * time.Millisecond)
	s := testserver.Start(t, g.srv)
	go g.tickLoop()
	t.Cleanup(g.stopTicks)

	const typed = "hello, gateway"
	if err := chromedp.Do(bctx, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatalf("opening the demo page: %v\nbrowser output:\n%s", err, browserLog())
	}
	_, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.getElementById('status').textContent === 'open'`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	if err == nil {
		// The demo turns WebSocketCompression on and Chromium offers
		// permessage-deflate: the page reports what was negotiated.
		var ext string
		if ext, err = chromedp.Run(bctx, chromedp.Evaluate[string](`window.wsExtensions`)); err == nil && ext != "permessage-deflate; server_no_context_takeover; client_no_context_takeover" {
			t.Errorf("the page's ws.extensions is %q, want permessage-deflate with no context takeover", ext)
		}
	}
	if err == nil {
		err = chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#msg"), typed+"\r"))
	}
	if err != nil {
		t.Fatalf("opening the demo page: %v\nbrowser output:\n%s", err, browserLog())
	}
	seen := chromedp.Poll[bool](`Number(document.getElementById('ticks').textContent) >= 5 &&
		[...document.querySelectorAll('#log .line')].some(d => d.textContent === 'echo: `+typed+`')`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))
	if _, err := chromedp.Run(bctx, seen); err != nil {
		t.Fatalf("the page did not show 5 ticks and the echo: %v\n%s", err, demoState(bctx))
	}

	// The live charts get the server's counters, and the broadcast button
	// makes the WebSocket chart move.
	charts := chromedp.Poll[bool](`window.statsSeen >= 3 && [...document.querySelectorAll('#charts polyline')].length === 5 &&
		[...document.querySelectorAll('#charts polyline')].every(p => p.getAttribute('points').split(' ').length >= 2)`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))
	if _, err := chromedp.Run(bctx, charts); err != nil {
		t.Fatalf("the charts did not receive the server's stats: %v\n%s", err, demoState(bctx))
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#burst"))); err != nil {
		t.Fatalf("clicking the broadcast button: %v", err)
	}
	moved := chromedp.Poll[bool](`window.burstsSeen >= 100 &&
		Math.max(...document.querySelectorAll('#charts .chart')[2].querySelector('polyline').getAttribute('points').split(' ').map(p => 30 - Number(p.split(',')[1]))) > 0`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))
	if _, err := chromedp.Run(bctx, moved); err != nil {
		t.Fatalf("the broadcast did not show on the charts: %v\n%s", err, demoState(bctx))
	}

	shutdownCtx, cancelShutdown := context.WithTimeout(ctx, 5*time.Second)
	defer cancelShutdown()
	if err := g.srv.Shutdown(shutdownCtx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	gone := chromedp.Poll[bool](`document.getElementById('status').textContent.startsWith('the server went away')`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second))
	if _, err := chromedp.Run(bctx, gone); err != nil {
		t.Fatalf("the page did not say the server went away: %v\n%s", err, demoState(bctx))
	}
	t.Log(demoState(bctx))
}

func demoState(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('status').textContent +
		' | ticks ' + document.getElementById('ticks').textContent + ' | ' +
		[...document.querySelectorAll('#log .line')].map(d => d.textContent).join(', ')`))
	if err != nil {
		return "(page state unavailable: " + err.Error() + ")"
	}
	return "page: " + s
}
