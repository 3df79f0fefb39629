module github.com/phttp-go/phttp

go 1.26.0

require (
	github.com/gobwas/httphead v0.1.0
	github.com/gobwas/ws v1.5.0
	golang.org/x/net v0.63.0
	golang.org/x/sys v0.50.0
)
