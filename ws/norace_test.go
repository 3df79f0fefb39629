//go:build !race

package ws

// raceEnabled: see race_test.go.
const raceEnabled = false
