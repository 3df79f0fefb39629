module github.com/phttp-go/phttp/tests

go 1.26.0

require (
	github.com/chromedp/chromedp v0.22.1
	github.com/gobwas/ws v1.5.0
	github.com/gorilla/websocket v1.5.3
	github.com/phttp-go/phttp v0.0.0
	golang.org/x/net v0.63.0
	golang.org/x/sys v0.50.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/gobwas/httphead v0.1.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

// The tests are run against the library in this repository.
replace github.com/phttp-go/phttp => ../
