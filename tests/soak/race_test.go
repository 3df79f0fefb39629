//go:build race

package soak_test

// Under the race detector every client runs several times slower on the
// same two cores: the soak offers less so that healthy clients can keep
// up, and the bounds it checks stay the same.
const raceEnabled = true
