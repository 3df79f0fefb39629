//go:build !linux || phttp_poll

package http_test

import (
	"errors"
	"testing"

	"github.com/phttp-go/phttp"
)

// TestPollFDNotSupported: a poll set has no descriptor to hand a foreign
// loop, and PollFD says so.
func TestPollFDNotSupported(t *testing.T) {
	srv := &phttp.Server{}
	defer srv.Stop()
	if _, err := srv.PollFD(); !errors.Is(err, phttp.ErrNotSupported) {
		t.Fatalf("PollFD: %v, want ErrNotSupported", err)
	}
}
