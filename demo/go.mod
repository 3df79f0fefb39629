module github.com/phttp-go/phttp/demo

go 1.26.0

require (
	github.com/chromedp/chromedp v0.22.1
	github.com/gorilla/websocket v1.5.3
	github.com/phttp-go/phttp v0.0.0
	github.com/phttp-go/phttp/tests v0.0.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/gobwas/ws v1.5.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

// The demos run on the library in this repository; their browser tests
// use the end-to-end suite's helpers.
replace (
	github.com/phttp-go/phttp => ../
	github.com/phttp-go/phttp/tests => ../tests
)
