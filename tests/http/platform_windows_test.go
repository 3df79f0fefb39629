package http_test

// descriptorLimit: Windows has no per-process socket limit to read, and
// thousands of sockets under wine say nothing about Windows; report none so
// the test that needs thousands skips.
func descriptorLimit() uint64 { return 0 }
