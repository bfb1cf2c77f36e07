package webhook

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxConns bounds the connections served at once: each holds
// buffers, and idle ones cost memory until their timeout.
const DefaultMaxConns = 64

// Delivery IDs are remembered this long, at most this many: a forge's
// redelivery of a signed request is recognised and not acted on twice.
const (
	DeliveryWindow = 24 * time.Hour
	MaxDeliveries  = 10000
)

// connStats are the connections a listener handed out that are still
// open, and the most at once.
type connStats struct{ open, peak atomic.Int64 }

// connCounter is a listener that keeps connStats.
type connCounter struct {
	net.Listener
	*connStats
}

func (l *connCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	n := l.open.Add(1)
	for p := l.peak.Load(); n > p && !l.peak.CompareAndSwap(p, n); p = l.peak.Load() {
	}
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l    *connCounter
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// deliveries remembers the delivery IDs seen within DeliveryWindow, at
// most MaxDeliveries, oldest forgotten first.
type deliveries struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	order []string
}

// first records id at now and reports whether it was not seen before.
func (d *deliveries) first(id string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		d.seen = map[string]time.Time{}
	}
	for len(d.order) > 0 && (len(d.order) >= MaxDeliveries || now.Sub(d.seen[d.order[0]]) > DeliveryWindow) {
		delete(d.seen, d.order[0])
		d.order = d.order[1:]
	}
	if t, ok := d.seen[id]; ok && now.Sub(t) <= DeliveryWindow {
		return false
	}
	d.seen[id] = now
	d.order = append(d.order, id)
	return true
}
