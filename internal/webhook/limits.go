package webhook

import (
	"cmp"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxConns bounds the idle connections kept open at once (not
// inside a handler: new, sending their headers, or between requests):
// each holds buffers until its timeout.
const DefaultMaxConns = 64

// DefaultMaxIdlePerClient bounds the idle connections kept open from one
// address: a forge sends each delivery on a connection of its own and
// sends it at once.
const DefaultMaxIdlePerClient = 8

// DefaultIdleGrace is how long a connection may be idle before it
// counts against those bounds: a sender that has had a second and sent
// no headers is holding the connection; one that has not is on its way.
const DefaultIdleGrace = time.Second

// Delivery IDs are remembered this long, at most this many: a forge's
// redelivery of a signed request is recognised and not acted on twice.
const (
	DeliveryWindow = 24 * time.Hour
	MaxDeliveries  = 10000
)

// connStats are the connections a listener handed out that are still
// open, the most at once, and how many were closed to make room.
type connStats struct{ open, peak, shed atomic.Int64 }

// guard is a listener that takes every connection at once: one that
// waits to be accepted behind idle ones (a full listener) is a delivery
// or a health check left unanswered past the sender's timeout. Idle
// connections are bounded instead: over maxPerClient from one address,
// or over maxIdle in all, the oldest idle one is closed. A connection is
// idle until the server has read its request's headers and again
// between requests; one inside a handler is never closed here (its
// read and write timeouts bound it).
type guard struct {
	net.Listener
	*connStats
	maxIdle, maxPerClient int
	grace                 time.Duration

	mu    sync.Mutex
	seq   uint64
	conns map[*guardedConn]struct{}
}

type guardedConn struct {
	net.Conn
	g      *guard
	client string
	seq    uint64    // order of arrival: the oldest idle goes first
	busy   bool      // inside a handler
	since  time.Time // idle since then
	once   sync.Once
}

func newGuard(ln net.Listener, stats *connStats, maxIdle, maxPerClient int, grace time.Duration) *guard {
	return &guard{Listener: ln, connStats: stats, maxIdle: maxIdle, maxPerClient: maxPerClient, grace: grace,
		conns: map[*guardedConn]struct{}{}}
}

func (g *guard) Accept() (net.Conn, error) {
	c, err := g.Listener.Accept()
	if err != nil {
		return nil, err
	}
	client, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	gc := &guardedConn{Conn: c, g: g, client: client}
	for _, v := range g.admit(gc) {
		v.Close()
	}
	return gc, nil
}

// admit records gc and returns the idle connections to close to make
// room for it, oldest first: its own client's over maxPerClient, then
// any over maxIdle.
func (g *guard) admit(gc *guardedConn) []*guardedConn {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seq++
	gc.seq, gc.since = g.seq, time.Now()
	g.conns[gc] = struct{}{}
	var out []*guardedConn
	shed := func(cs []*guardedConn) {
		for _, c := range cs {
			delete(g.conns, c)
			out = append(out, c)
		}
	}
	mine := slices.DeleteFunc(g.idleLocked(), func(c *guardedConn) bool { return c.client != gc.client })
	shed(mine[:max(0, len(mine)-g.maxPerClient)])
	idle := g.idleLocked()
	shed(idle[:max(0, len(idle)-g.maxIdle)])
	g.shed.Add(int64(len(out)))
	n := int64(len(g.conns))
	g.open.Store(n)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	return out
}

// idleLocked is the connections idle for longer than the grace, oldest
// first; g.mu is held.
func (g *guard) idleLocked() []*guardedConn {
	var out []*guardedConn
	now := time.Now()
	for c := range g.conns {
		if !c.busy && now.Sub(c.since) >= g.grace {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *guardedConn) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// setBusy marks c inside a handler, or out of it.
func (g *guard) setBusy(c *guardedConn, busy bool) {
	g.mu.Lock()
	c.busy = busy
	if !busy {
		c.since = time.Now()
	}
	g.mu.Unlock()
}

func (c *guardedConn) Close() error {
	c.once.Do(func() {
		c.g.mu.Lock()
		delete(c.g.conns, c)
		c.g.open.Store(int64(len(c.g.conns)))
		c.g.mu.Unlock()
	})
	return c.Conn.Close()
}

// connKey is the context key of a request's *guardedConn.
type connKey struct{}

// busyWhileServed marks a request's connection busy while next serves
// it, so that it is not closed to make room.
func (g *guard) busyWhileServed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(*guardedConn); ok {
			g.setBusy(c, true)
			defer g.setBusy(c, false)
		}
		next.ServeHTTP(w, r)
	})
}

// deliveries remembers the delivery IDs seen within DeliveryWindow, at
// most MaxDeliveries, oldest forgotten first.
type deliveries struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	order []string
}

// seenBefore reports whether id was recorded within DeliveryWindow of now.
func (d *deliveries) seenBefore(id string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.seen[id]
	return ok && now.Sub(t) <= DeliveryWindow
}

// record remembers id at now, forgetting the oldest past the window or
// the bound.
func (d *deliveries) record(id string, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		d.seen = map[string]time.Time{}
	}
	for len(d.order) > 0 && (len(d.order) >= MaxDeliveries || now.Sub(d.seen[d.order[0]]) > DeliveryWindow) {
		delete(d.seen, d.order[0])
		d.order = d.order[1:]
	}
	if _, ok := d.seen[id]; !ok {
		d.order = append(d.order, id)
	}
	d.seen[id] = now
}
