package testserver

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"runtime"
	"sync/atomic"
	"time"
)

// HeapSampler records the peak HeapAlloc and HeapInuse of the test
// process above a baseline taken after a full collection, for tests that
// bound what the server holds under load.
type HeapSampler struct {
	baseAlloc, baseInuse uint64
	peakAlloc, peakInuse atomic.Uint64
	samples              atomic.Int64
	stop                 chan struct{}
	done                 chan struct{}
}

// StartHeapSampler collects garbage, takes the baseline, and samples the
// heap every interval until Finish.
func StartHeapSampler(every time.Duration) *HeapSampler {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h := &HeapSampler{baseAlloc: ms.HeapAlloc, baseInuse: ms.HeapInuse, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			h.samples.Add(1)
			if ms.HeapAlloc > h.peakAlloc.Load() {
				h.peakAlloc.Store(ms.HeapAlloc)
			}
			if ms.HeapInuse > h.peakInuse.Load() {
				h.peakInuse.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// Finish stops sampling.
func (h *HeapSampler) Finish() {
	close(h.stop)
	<-h.done
}

// AllocGrowth and InuseGrowth are the peaks above the baseline.
func (h *HeapSampler) AllocGrowth() uint64 {
	return h.peakAlloc.Load() - min(h.peakAlloc.Load(), h.baseAlloc)
}

func (h *HeapSampler) InuseGrowth() uint64 {
	return h.peakInuse.Load() - min(h.peakInuse.Load(), h.baseInuse)
}

// Samples is how many readings were taken.
func (h *HeapSampler) Samples() int64 { return h.samples.Load() }

// PatternReader yields n bytes of a fixed pattern without holding them:
// an upload of any size that costs the client nothing.
type PatternReader struct{ n, off int64 }

// Pattern returns a reader of n pattern bytes.
func Pattern(n int64) *PatternReader { return &PatternReader{n: n} }

func (p *PatternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		b[i] = byte((p.off + int64(i)) * 7)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// PatternSum is the hex SHA-256 of n pattern bytes.
func PatternSum(n int64) string {
	h := sha256.New()
	io.Copy(h, Pattern(n))
	return hex.EncodeToString(h.Sum(nil))
}
