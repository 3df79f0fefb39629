// Package ui is the single-page UI the two gateway demos serve (phttp's in
// demo/gateway, net/http's in demo/gateway-nethttp), embedded.
package ui

import "embed"

// Files holds index.html, app.js and style.css.
//
//go:embed index.html app.js style.css
var Files embed.FS
