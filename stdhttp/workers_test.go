package stdhttp

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestWorkersPark: concurrent jobs run at once on their own goroutines;
// afterwards the workers park, and exit after workerIdle, so a quiet
// server keeps no goroutines.
func TestWorkersPark(t *testing.T) {
	before := runtime.NumGoroutine()
	ws := workers{idleFor: 50 * time.Millisecond}
	release := make(chan struct{})
	var started, done sync.WaitGroup
	for range 8 {
		started.Add(1)
		done.Add(1)
		ws.run(func() { started.Done(); <-release; done.Done() })
	}
	started.Wait() // all 8 run together: none waited behind another
	close(release)
	done.Wait()
	if n := runtime.NumGoroutine(); n < before+8 {
		t.Logf("%d goroutines already gone before the idle time", before+8-n)
	}

	again := make(chan struct{})
	ws.run(func() { close(again) }) // a parked worker takes it
	<-again

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left, %d before: parked workers did not exit", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
