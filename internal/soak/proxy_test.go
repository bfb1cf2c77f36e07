//go:build soak

package soak

import (
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Fault kinds the proxy injects at the connection level.
const (
	faultNone = ""
	faultCut  = "cut"     // a connection closed after a few bytes of the answer
	faultHang = "hang"    // a connection accepted and never answered
	faultDrip = "drip"    // an answer sent a few bytes at a time, slowly
	faultDown = "restart" // the server gone (listener and connections closed), then back
)

// proxy is a TCP relay in front of one server, on a fixed 127.0.0.1
// port, that injects a connection-level fault while one is set.
type proxy struct {
	addr   string // what clients dial
	target string // the server

	mu     sync.Mutex
	ln     net.Listener
	fault  string
	conns  map[net.Conn]struct{}
	rng    *rand.Rand
	closed bool
	done   chan struct{}
}

func newProxy(target string, seed uint64) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{},
		rng: rand.New(rand.NewPCG(seed, 7)), done: make(chan struct{})}
	go p.serve(ln)
	return p, nil
}

func (p *proxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		p.conns[c] = struct{}{}
		fault, n := p.fault, 1+p.rng.IntN(4096)
		p.mu.Unlock()
		go p.relay(c, fault, n)
	}
}

// relay carries one connection under fault (chosen when it was accepted).
func (p *proxy) relay(c net.Conn, fault string, n int) {
	defer p.forget(c)
	if fault == faultHang {
		// Hold the connection until the proxy stops; the client's own
		// limit must give it up. Bounded: the soak's end closes it.
		<-p.done
		return
	}
	s, err := net.DialTimeout("tcp", p.target, 10*time.Second)
	if err != nil {
		return
	}
	p.track(s)
	defer p.forget(s)
	go func() { io.Copy(s, c); s.(*net.TCPConn).CloseWrite() }()
	var w io.Writer = c
	switch fault {
	case faultCut:
		_, _ = io.CopyN(c, s, int64(n))
		return
	case faultDrip:
		w = &drip{w: c}
	}
	_, _ = io.Copy(w, s)
}

func (p *proxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
}

func (p *proxy) forget(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// set turns fault on for new connections ("" turns it off).
func (p *proxy) set(fault string) {
	p.mu.Lock()
	p.fault = fault
	p.mu.Unlock()
}

// restart drops the server for d: listener and every connection closed,
// then listening again on the same port.
func (p *proxy) restart(d time.Duration) {
	p.mu.Lock()
	p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	select {
	case <-time.After(d):
	case <-p.done:
		return
	}
	for i := 0; i < 50; i++ { // the port may linger a moment
		ln, err := net.Listen("tcp", p.addr)
		if err == nil {
			p.mu.Lock()
			p.ln = ln
			p.mu.Unlock()
			go p.serve(ln)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *proxy) close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.done)
		p.ln.Close()
		for c := range p.conns {
			c.Close()
		}
	}
	p.mu.Unlock()
}

// drip writes what it is given 256 bytes at a time, 20 ms apart: a slow
// link that still makes progress (no limit may cut it).
type drip struct{ w io.Writer }

func (d *drip) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := min(256, len(b))
		m, err := d.w.Write(b[:k])
		n += m
		if err != nil {
			return n, err
		}
		b = b[k:]
		time.Sleep(20 * time.Millisecond)
	}
	return n, nil
}
