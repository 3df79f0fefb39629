// Package browser_test runs a real headless Chromium against a phttp
// gateway page: HTTP for the page, a WebSocket for frames pushed from
// another goroutine and for echoes of what the user types.
package browser_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// page is a minimal copy of the gateway demo page: it opens a WebSocket to
// /ws, lists every message, and sends what is typed into the input.
const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>phttp gateway</title></head>
<body>
<p id="status" class="connecting">connecting</p>
<form id="form"><input id="msg" autocomplete="off" autofocus><button id="send" type="submit">Send</button></form>
<ul id="log"></ul>
<script>
const log = document.getElementById('log');
const status = document.getElementById('status');
const ws = new WebSocket('ws://' + location.host + '/ws');
ws.onopen = () => { status.textContent = 'open'; status.className = 'open'; };
ws.onclose = (e) => { status.textContent = 'closed ' + e.code; status.className = 'closed'; };
ws.onerror = () => { status.textContent = 'error'; status.className = 'error'; };
ws.onmessage = (e) => {
  const li = document.createElement('li');
  li.textContent = e.data;
  li.className = e.data.startsWith('tick ') ? 'tick' : 'echo';
  log.appendChild(li);
};
document.getElementById('form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = document.getElementById('msg');
  if (input.value !== '') ws.send(input.value);
  input.value = '';
});
</script>
</body></html>
`

// gateway is the page's server side. clients is touched only on the loop
// goroutine (the handler and posted functions), so it needs no lock.
type gateway struct {
	srv     *phttp.Server
	clients map[phttp.ConnID]bool

	mu     sync.Mutex
	closes []phttp.CloseCode // seen by the handler, for the test to read
}

func (g *gateway) handle(w *phttp.Response, r *phttp.Request) {
	switch r.Type {
	case phttp.HTTP:
		switch {
		case r.Path == "/ws" && r.IsWebSocketUpgrade():
			w.AcceptWebSocket("")
			g.clients[r.ConnID] = true
		case r.Path == "/":
			w.SetHeader("Content-Type", "text/html; charset=utf-8")
			w.WriteString(page)
		default:
			w.Status = 404
		}
	case phttp.WebSocketText:
		w.SendWebSocket(phttp.WebSocketText, append([]byte("echo: "), r.Body...))
	case phttp.WebSocketClose:
		delete(g.clients, r.ConnID)
		g.mu.Lock()
		g.closes = append(g.closes, r.CloseCode)
		g.mu.Unlock()
	}
}

// tick pushes "tick N" to every client every 200 ms from its own
// goroutine, through Post and TrySendWebSocket, until stop is closed.
func (g *gateway) tick(stop <-chan struct{}) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		msg := []byte("tick " + strconv.Itoa(n))
		if g.srv.Post(func() {
			for id := range g.clients {
				g.srv.TrySendWebSocket(id, phttp.WebSocketText, msg) // a slow tab just misses a tick
			}
		}) != nil {
			return
		}
	}
}

func TestBrowserGateway(t *testing.T) {
	g := &gateway{clients: map[phttp.ConnID]bool{}}
	g.srv = &phttp.Server{Handler: g.handle}
	s := testserver.Start(t, g.srv)
	stop := make(chan struct{})
	tickDone := make(chan struct{})
	go func() { g.tick(stop); close(tickDone) }()
	t.Cleanup(func() { close(stop); <-tickDone })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bctx, browserLog := testserver.Browser(t, ctx)

	const typed = "hello from chromedp"
	const typed2 = "second line, sent with Enter"
	err := chromedp.Do(bctx,
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#status.open")),
		chromedp.SendKeys(chromedp.CSS("#msg"), typed),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.SendKeys(chromedp.CSS("#msg"), typed2+"\r"),
	)
	if err != nil {
		t.Fatalf("driving the page: %v\n%s", err, pageState(bctx))
	}
	ok, err := chromedp.Run(bctx, chromedp.Poll[bool](`(() => {
		const ticks = document.querySelectorAll('#log li.tick').length;
		const echoes = [...document.querySelectorAll('#log li.echo')].map(li => li.textContent);
		return ticks >= 5 && echoes.includes('echo: `+typed+`') && echoes.includes('echo: `+typed2+`');
	})()`, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || !ok {
		t.Fatalf("page never showed 5 ticks and both echoes: %v\n%s\nbrowser output:\n%s", err, pageState(bctx), browserLog())
	}

	// Ticks arrive in order, one per list item, with no gap wider than
	// what TrySendWebSocket could have skipped (none, on loopback).
	items, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#log li.tick')].map(li => li.textContent)`))
	if err != nil {
		t.Fatalf("reading ticks: %v", err)
	}
	prev := 0
	for _, it := range items {
		n, err := strconv.Atoi(strings.TrimPrefix(it, "tick "))
		if err != nil || n <= prev {
			t.Errorf("tick list %v is not increasing", items)
			break
		}
		prev = n
	}
	t.Logf("page showed %d ticks (%v ... %v) and both echoes", len(items), items[0], items[len(items)-1])

	// Closing the tab closes the WebSocket: the handler sees it once.
	if err := chromedp.Cancel(bctx); err != nil {
		t.Fatalf("closing the browser: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		n := len(g.closes)
		closes := append([]phttp.CloseCode(nil), g.closes...)
		g.mu.Unlock()
		if n > 0 {
			t.Logf("handler saw WebSocketClose %v when the browser went away", closes)
			if n != 1 {
				t.Errorf("handler saw %d WebSocketClose events %v, want 1", n, closes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("handler saw no WebSocketClose within 10s of closing the browser")
			break
		}
		time.Sleep(10 * time.Millisecond) // no event to await: the browser's exit is outside the test
	}
}

// pageState describes the page for a failure message.
func pageState(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('status').textContent + ' | ' + [...document.querySelectorAll('#log li')].map(li => li.textContent).join(', ')`))
	if err != nil {
		return "(page state unavailable: " + err.Error() + ")"
	}
	return "page: " + s
}
