package phttp

import "time"

// Timers: every timeout of one kind has the same duration, so deadlines in
// a list are in the order they were set. Each kind is then an intrusive
// doubly linked list ordered by deadline: arming, disarming and finding the
// next expiry are O(1), with no heap and no allocation, and a connection
// costs two list nodes (its read-side timer and its write timer).

// timerNode links a connection into one timer list.
type timerNode struct {
	prev, next *conn
	deadline   time.Duration // on the loop's clock (time since the loop began)
	list       *timerList    // nil when not armed
}

// timerList is one kind of timeout: header, idle, body, write or linger.
type timerList struct {
	head, tail *conn
	after      time.Duration
	node       func(*conn) *timerNode
	expire     func(*conn)
}

func (t *timerList) arm(c *conn, now time.Duration) {
	n := t.node(c)
	if n.list != nil {
		n.list.disarm(c)
	}
	n.deadline = now + t.after
	n.list = t
	n.prev, n.next = t.tail, nil
	if t.tail != nil {
		t.node(t.tail).next = c
	} else {
		t.head = c
	}
	t.tail = c
}

func (t *timerList) disarm(c *conn) {
	n := t.node(c)
	if n.list != t {
		return
	}
	if n.prev != nil {
		t.node(n.prev).next = n.next
	} else {
		t.head = n.next
	}
	if n.next != nil {
		t.node(n.next).prev = n.prev
	} else {
		t.tail = n.prev
	}
	n.prev, n.next, n.list = nil, nil, nil
}

// fire expires every connection whose deadline is due.
func (t *timerList) fire(now time.Duration) {
	for t.head != nil && t.node(t.head).deadline <= now {
		c := t.head
		t.disarm(c)
		t.expire(c)
	}
}

// next returns the earliest deadline, or -1 when the list is empty.
func (t *timerList) next() time.Duration {
	if t.head == nil {
		return -1
	}
	return t.node(t.head).deadline
}

func readNode(c *conn) *timerNode  { return &c.readTimer }
func writeNode(c *conn) *timerNode { return &c.writeTimer }

// stallNode is an HTTP/2 connection's third timer, its streams' write
// stall: kept in h2Conn, so that an HTTP/1 connection does not pay for it.
func stallNode(c *conn) *timerNode { return &c.h2.stallTimer }

// disarmAll stops c's timers.
func disarmAll(c *conn) {
	if c.h2 != nil && c.h2.stallTimer.list != nil {
		c.h2.stallTimer.list.disarm(c)
	}
	if l := c.readTimer.list; l != nil {
		l.disarm(c)
	}
	if l := c.writeTimer.list; l != nil {
		l.disarm(c)
	}
}
