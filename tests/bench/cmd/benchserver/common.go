package main

import (
	"bytes"
	"strconv"
	"sync"
)

// hello is the /plaintext body, the TechEmpower plaintext answer.
var hello = []byte("Hello, World!")

var helloLength = strconv.Itoa(len(hello))

// bcastMessage is the 64-byte text message every broadcast sends.
var bcastMessage = bytes.Repeat([]byte("x"), 64)

// maxTrigger bounds N in /trigger?n=N so that a typo cannot queue gigabytes.
const maxTrigger = 100000

// triggerCount parses the n of /trigger?n=N; anything invalid is 0, which
// only asks for the number of registered connections.
func triggerCount(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return min(n, maxTrigger)
}

// hub is the set of /bcast connections for the goroutine-per-connection
// peers, where handlers run on many goroutines and so need the lock. (phttp
// keeps its set on the loop goroutine instead and needs none.)
type hub[C comparable] struct {
	mu    sync.Mutex
	conns map[C]struct{}
	// sending serialises broadcasts: the peers' connections allow only one
	// writer at a time, and two triggers must not write to one at once.
	sending sync.Mutex
}

func newHub[C comparable]() *hub[C] {
	return &hub[C]{conns: make(map[C]struct{})}
}

func (h *hub[C]) add(c C) {
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
}

func (h *hub[C]) remove(c C) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

func (h *hub[C]) snapshot() []C {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]C, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
	}
	return out
}

// trigger answers the registered count and, when n > 0, starts the
// background goroutine that sends n messages to each connection with send,
// message by message across all connections, as a ticker-driven broadcast
// would. A connection whose send fails is skipped from then on.
func (h *hub[C]) trigger(n int, send func(C, []byte) error) int {
	conns := h.snapshot()
	if n > 0 && len(conns) > 0 {
		go func() {
			h.sending.Lock()
			defer h.sending.Unlock()
			dead := make([]bool, len(conns))
			for range n {
				for i, c := range conns {
					if !dead[i] && send(c, bcastMessage) != nil {
						dead[i] = true
					}
				}
			}
		}()
	}
	return len(conns)
}

// The /mtrigger broadcast: the messages of issue 12's gateway run, 64
// bytes and every fifth 16 KiB, as JSON-ish text that deflates the way
// chat or telemetry does. Each message is prepared once by the peer's
// cheapest means (phttp's NewMessage, gorilla's PreparedMessage) and
// offered to every connection.
var (
	scaleSmall = scaleText(64)
	scaleLarge = scaleText(16 << 10)
)

func scaleText(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.WriteString(`{"user":"u` + strconv.Itoa(i%97) + `","text":"status update ` + strconv.Itoa(i%13) + `","ok":true} `)
	}
	return b.Bytes()[:n]
}

// smallMessage is message i of an /strigger broadcast: 64 bytes each,
// where the cost per message shows rather than the cost per byte.
func smallMessage(int) []byte { return scaleSmall }

// triggerMessages is the message sequence a trigger path asks for.
func triggerMessages(path string) func(int) []byte {
	if path == "/strigger" {
		return smallMessage
	}
	return scaleMessage
}

// scaleMessage is message i of an /mtrigger broadcast.
func scaleMessage(i int) []byte {
	if i%5 == 4 {
		return scaleLarge
	}
	return scaleSmall
}

// triggerPrepared is trigger for /mtrigger and /strigger: message i is
// msg(i), and prepare turns each into the sender every connection gets it
// through.
func (h *hub[C]) triggerPrepared(n int, msg func(int) []byte, prepare func(p []byte) func(C) error) int {
	conns := h.snapshot()
	if n > 0 && len(conns) > 0 {
		go func() {
			h.sending.Lock()
			defer h.sending.Unlock()
			dead := make([]bool, len(conns))
			for i := range n {
				send := prepare(msg(i))
				for j, c := range conns {
					if !dead[j] && send(c) != nil {
						dead[j] = true
					}
				}
			}
		}()
	}
	return len(conns)
}
