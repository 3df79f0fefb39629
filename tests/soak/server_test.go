package soak_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phttp-go/phttp"
)

// The soak's server runs in a process of its own (this test binary,
// started again with soakServerEnv set), so that its heap can be
// measured apart from the hundreds of clients in the test's process.

const soakServerEnv = "PHTTP_SOAK_SERVER"

// serverConfig is what the test tells the server process, as JSON in
// the environment.
type serverConfig struct {
	Messages     int           // to broadcast
	Rate         int           // messages per second
	WriteTimeout time.Duration //
	PingInterval time.Duration //
}

// serverReport is what the server process answers on /report.
type serverReport struct {
	PeakHeap, PeakQueued int64 // HeapInuse and Stats.QueuedBytes, sampled every 20 ms
	BaseHeap             int64 // HeapInuse before the first client
	HealthyDrops         int64 // TrySendMessage refusals to clients marked healthy
	LastSeq              int   // the last message broadcast, once done
	Done                 bool
	Evicted              map[string]int // connections closed 1008 (WriteTimeout or PingInterval), by kind
	Stats                phttp.Stats
}

// soakApp is the server side: the handler and the broadcaster. kinds is
// the loop's: touched only by the handler and posted functions.
type soakApp struct {
	srv   *phttp.Server
	cfg   serverConfig
	kinds map[phttp.ConnID]string

	peakHeap, peakQueued, baseHeap, healthyDrops atomic.Int64
	lastSeq                                      atomic.Int64
	done                                         atomic.Bool
	evictedMu                                    sync.Mutex
	evicted                                      map[string]int
}

func runSoakServer() {
	var cfg serverConfig
	if err := json.Unmarshal([]byte(os.Getenv(soakServerEnv)), &cfg); err != nil {
		fmt.Println("bad config:", err)
		os.Exit(2)
	}
	app := &soakApp{cfg: cfg, kinds: map[phttp.ConnID]string{}, evicted: map[string]int{}}
	app.srv = &phttp.Server{
		Handler:              app.handle,
		WebSocketCompression: true,
		PingInterval:         cfg.PingInterval,
		WriteTimeout:         cfg.WriteTimeout,
	}
	if err := app.srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		fmt.Println("listen:", err)
		os.Exit(2)
	}
	runtime.GC()
	app.baseHeap.Store(heapInuse())
	go app.sample()
	fmt.Println("addr", app.srv.Addr())
	go func() { // the test closes our stdin to stop us
		os.Stdin.Read(make([]byte, 1))
		app.srv.Stop()
	}()
	app.srv.Run()
}

func heapInuse() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// sample keeps the peaks of the heap and of the queues' referenced bytes.
func (a *soakApp) sample() {
	for range time.Tick(20 * time.Millisecond) {
		raise(&a.peakHeap, heapInuse())
		raise(&a.peakQueued, a.srv.Stats().QueuedBytes)
	}
}

func raise(v *atomic.Int64, x int64) {
	for {
		old := v.Load()
		if x <= old || v.CompareAndSwap(old, x) {
			return
		}
	}
}

func (a *soakApp) handle(w *phttp.Response, r *phttp.Request) {
	switch r.Type {
	case phttp.WebSocketText, phttp.WebSocketBinary:
		w.SendWebSocket(r.Type, r.Body) // echo clients
		return
	case phttp.WebSocketClose:
		if r.CloseCode == phttp.ClosePolicyViolation {
			a.evictedMu.Lock()
			a.evicted[a.kinds[r.ConnID]]++
			a.evictedMu.Unlock()
		}
		delete(a.kinds, r.ConnID)
		return
	}
	switch r.Path {
	case "/ws":
		w.AcceptWebSocket("")
		if w.Status == 101 {
			a.kinds[r.ConnID] = r.Query().Get("kind")
		}
	case "/start":
		go a.broadcast()
	case "/report":
		rep := serverReport{
			PeakHeap: a.peakHeap.Load(), PeakQueued: a.peakQueued.Load(), BaseHeap: a.baseHeap.Load(),
			HealthyDrops: a.healthyDrops.Load(), LastSeq: int(a.lastSeq.Load()), Done: a.done.Load(),
			Stats: a.srv.Stats(),
		}
		a.evictedMu.Lock()
		rep.Evicted = maps.Clone(a.evicted)
		a.evictedMu.Unlock()
		b, _ := json.Marshal(rep)
		w.SetHeader("Content-Type", "application/json")
		w.Write(b)
	default:
		w.WriteString("hello from the soak server\n")
	}
}

// broadcast sends cfg.Messages messages, 64 bytes and every fifth
// 16 KiB, each made once with NewMessage and offered to every client
// from a posted function with TrySendMessage, as a gateway would. A
// message says its number and when it was sent; then "end N".
func (a *soakApp) broadcast() {
	tick := time.NewTicker(time.Second / time.Duration(a.cfg.Rate))
	defer tick.Stop()
	pad := make([]byte, 16<<10)
	for i := range pad {
		pad[i] = "abcdefghijklmnopqrstuvwxyz0123456789 "[i%37]
	}
	var wg sync.WaitGroup
	for seq := 1; seq <= a.cfg.Messages; seq++ {
		<-tick.C
		size := 64
		if seq%5 == 0 {
			size = 16 << 10
		}
		head := "seq " + strconv.Itoa(seq) + " ts " + strconv.FormatInt(time.Now().UnixNano(), 10) + " "
		m, _ := phttp.NewMessage(phttp.WebSocketText, append([]byte(head), pad[:size-len(head)]...))
		wg.Add(1)
		a.srv.Post(func() {
			defer wg.Done()
			for id, kind := range a.kinds {
				if err := a.srv.TrySendMessage(id, m); err == phttp.ErrQueueFull && kind == "healthy" {
					a.healthyDrops.Add(1)
				}
			}
		})
		a.lastSeq.Store(int64(seq))
	}
	wg.Wait()
	end, _ := phttp.NewMessage(phttp.WebSocketText, []byte("end "+strconv.Itoa(a.cfg.Messages)))
	a.srv.Post(func() {
		for id := range a.kinds {
			a.srv.TrySendMessage(id, end)
		}
		a.done.Store(true)
	})
}
