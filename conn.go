package phttp

import (
	"net"
	"sync"

	"github.com/phttp-go/phttp/http11"
	pws "github.com/phttp-go/phttp/ws"
)

// conn is one client connection. Everything but q (and id, which never
// changes) belongs to the loop goroutine. An idle keep-alive connection
// holds no buffers: rs and inBuf are nil until bytes arrive. Its phase
// (phase.go) says what it is doing.
type conn struct {
	id     ConnID
	sock   sysSocket
	slot   uint32
	gen    uint32 // the low bits of id, so a stale poller event cannot reach a new conn in the same slot
	remote net.Addr
	local  net.Addr

	phase     connPhase
	interest  interest // what the poller is asked to report
	peerEOF   bool     // the client shut down its side
	keepAlive bool     // the connection outlives the current request
	rejected  bool     // over MaxConnections: only a 503 goes out
	scheduled bool     // on the loop's resume list
	blockedQ  bool     // input waits until the client reads its answers
	served    int      // requests answered in this loop turn
	held      int      // partial input counted in the server's MaxBufferedBytes

	inBuf []byte      // bytes read but not yet consumed (a partial head or frame)
	rs    *reqState   // the request in progress, nil between requests
	ws    *wsConn     // set once the connection is a WebSocket
	tls   *tlsSession // on a TLS server: the session (nil on plain TCP)
	raw   *rawConn    // set once it was upgraded with AcceptUpgrade
	h2    *h2Conn     // set once it speaks HTTP/2
	began bool        // a request (or the HTTP/2 preface) came: h2c is no longer possible

	readTimer  timerNode // header, idle, body or linger
	writeTimer timerNode // write progress
	unsentMark int       // the kernel's unacknowledged bytes at the write window's half
	writeHalf  bool      // writeTimer is in the second half of WriteTimeout

	q sendQueue
}

// Tokens name a poller registration. A listener's has listenerToken set
// and its index below; a connection's has its generation (31 bits) above
// its slot (32 bits), with the top bit clear, so no connection token can
// ever read as a listener's however many connections the server has had.
const (
	listenerToken = 1 << 63
	genMask       = 1<<31 - 1
)

func (c *conn) token() uint64 { return uint64(c.gen)<<32 | uint64(c.slot) }

// answerEnd records how a request's answer ended: the one record of it.
// The loop sets it for answers it sends; a detached answer's end reaches
// it through the queue (sendQueue.end) and serveQueued.
type answerEnd struct {
	done    bool // the answer is queued whole
	close   bool // the connection closes after it (may be decided before done)
	upgrade bool // it was a 101: the connection changes protocol
	raw     bool // ... to the handler's own (AcceptUpgrade), not WebSocket
	reset   bool // it was aborted where only a reset tells the client so
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

	life      lifetime  // the request's Context
	stream    bool      // the body goes to the handler (or a BodyReader) piece by piece
	pipe      *bodyPipe // the BodyReader's, once the handler asked for one
	bodyDone  bool      // the whole body has been read (or discarded)
	handled   bool      // the handler answered or detached: it is not called again
	counted   bool      // the request is in Stats.Requests
	handler   Handler   // the handler when the request began (SetHandler)
	expect100 bool      // a 100 Continue is owed once the handler lets the body come
	end       answerEnd // how the answer ended, once it has
}

// eventConn is what an upgraded connection's events are handed in: a
// Request and a Response of its own, so a Response kept by the handler and
// used later from another goroutine can only ever reach this connection,
// and the connection's Context.
type eventConn struct {
	life     lifetime
	req      Request
	resp     Response
	reported bool // the handler has seen the connection's end
}

// wsConn is a WebSocket connection's own state.
type wsConn struct {
	eventConn
	reader pws.Reader
	pinged bool // a keep-alive ping went and nothing came since (ping.go)
}

// rawConn is the state of a connection upgraded with AcceptUpgrade.
type rawConn struct {
	eventConn
	pipe *bodyPipe // a hijacked connection's input, instead of Raw events
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
