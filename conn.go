package phttp

import (
	"net"
	"sync"

	"github.com/phttp-go/phttp/http11"
	pws "github.com/phttp-go/phttp/ws"
)

// connPhase is what a connection's input means right now.
type connPhase uint8

const (
	phaseHead    connPhase = iota // reading a request head (or waiting for one)
	phaseBody                     // reading a body the handler will get
	phaseDiscard                  // reading and dropping a body the handler answered early
	phaseAnswer                   // a detached answer is in progress: input waits
	phaseWS                       // WebSocket frames
	phaseClosing                  // flushing the queue, then shutdown and linger
)

// conn is one client connection. Everything but q (and id, which never
// changes) belongs to the loop goroutine. An idle keep-alive connection
// holds no buffers: rs and inBuf are nil until bytes arrive.
type conn struct {
	id     ConnID
	sock   sysSocket
	slot   uint32
	gen    uint32
	remote net.Addr

	phase      connPhase
	readOn     bool // the poller is asked for readability
	writeOn    bool // the poller is asked for writability
	peerEOF    bool // the client shut down its side
	keepAlive  bool // the connection outlives the current request
	lingering  bool // SHUT_WR was sent; reading only to drain
	rejected   bool // over MaxConnections: only a 503 goes out
	scheduled  bool // on the loop's resume list
	wsReported bool // the handler has seen WebSocketClose
	blockedQ   bool // input waits until the client reads its answers
	served     int  // requests answered in this loop turn

	inBuf []byte    // bytes read but not yet consumed (a partial head or frame)
	rs    *reqState // the request in progress, nil between requests
	ws    *wsState  // set once the connection is upgraded

	readTimer  timerNode // header, idle, body or linger
	writeTimer timerNode // write progress
	unsentMark int       // the kernel's unacknowledged bytes at the write window's half
	writeHalf  bool      // writeTimer is in the second half of WriteTimeout

	q sendQueue
}

// reqState is a request in progress: parser state, the Request and
// Response handed to the handler, and the body gathered so far. The loop
// keeps a pool of them, so a request costs no allocation for its state; a
// detached answer takes its reqState with it.
type reqState struct {
	parser  http11.Parser
	head    http11.Head
	chunks  http11.ChunkedDecoder
	req     Request
	resp    Response
	fields  Header // backing array for req.Header
	body    []byte // gathered body when it spans reads
	bodyMax int64  // what may still be read (MaxBodyBytes budget)
	left    int64  // Content-Length bytes still to come; -1 with chunked

	bodyDone   bool // the whole body has been read (or discarded)
	answered   bool // the handler answered or detached: no more calls
	answerDone bool // the answer is fully queued
	closeAfter bool // close the connection after this request
	expect100  bool // a 100 Continue is owed once the handler lets the body come
	upgrade    bool // the answer was a 101: the connection becomes a WebSocket
}

// wsState is an upgraded connection's reader and the upgrade request's
// strings, which every WebSocket event for it carries.
type wsState struct {
	reader                     pws.Reader
	method, uri, path, rawPath string
	rawQuery, fragment, host   string
	closeSent                  bool // our close frame is queued
}

// connTable finds a connection by ID for senders on other goroutines.
type connTable struct {
	mu sync.RWMutex // guards m
	m  map[ConnID]*conn
}

func (t *connTable) get(id ConnID) *conn {
	t.mu.RLock()
	c := t.m[id]
	t.mu.RUnlock()
	return c
}

func (t *connTable) put(c *conn) {
	t.mu.Lock()
	if t.m == nil {
		t.m = make(map[ConnID]*conn)
	}
	t.m[c.id] = c
	t.mu.Unlock()
}

func (t *connTable) remove(id ConnID) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

// closeAll closes every queue, releasing waiting senders with ErrClosed.
func (t *connTable) closeAll() {
	t.mu.RLock()
	for _, c := range t.m {
		c.q.close()
	}
	t.mu.RUnlock()
}
