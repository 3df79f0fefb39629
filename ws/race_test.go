//go:build race

package ws

// raceEnabled: the race detector's instrumentation changes how some
// allocations are made, so exact allocation counts other than zero are not
// checked under it.
const raceEnabled = true
