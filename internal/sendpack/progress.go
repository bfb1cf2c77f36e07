package sendpack

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress is how the upload of a pack is shown: git's meter, as its
// send-pack shows pack-objects writing into the request ("Writing
// objects:  45% (450/1000), 12.00 MiB | 3.00 MiB/s"), redrawn in place
// with "\r" and ended with ", done.". The objects are counted in
// proportion to the bytes sent, the total read from the pack's header.
type Progress struct {
	W io.Writer
	// Title and Done are git's words, in the user's language.
	Title, Done string
	// After is written once the meter is done: pack-objects' "Total"
	// line, which git shows after it.
	After string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// meter counts the bytes of a pack read by the request.
type meter struct {
	Progress
	r           io.Reader
	size, sent  int64
	head        []byte // the pack header, until complete
	objects     uint64
	start       time.Time
	tpAt        time.Time // when the throughput was last computed
	tp          string    // ", <bytes> | <rate>" once known
	lastPercent int
	lastLen     int
	ended       bool
}

func newMeter(p Progress, r io.Reader, size int64) *meter {
	if p.Now == nil {
		p.Now = time.Now
	}
	now := p.Now()
	return &meter{Progress: p, r: r, size: size, start: now, tpAt: now, lastPercent: -1}
}

// Read passes the pack on and redraws the meter when its figures change.
func (m *meter) Read(b []byte) (int, error) {
	n, err := m.r.Read(b)
	m.count(b[:n])
	if err == io.EOF && !m.ended {
		m.end()
	}
	return n, err
}

func (m *meter) count(b []byte) {
	if len(m.head) < 12 {
		m.head = append(m.head, b[:min(len(b), 12-len(m.head))]...)
		if len(m.head) == 12 && string(m.head[:4]) == "PACK" {
			m.objects = uint64(binary.BigEndian.Uint32(m.head[8:]))
		}
	}
	m.sent += int64(len(b))
	if m.objects == 0 || len(b) == 0 {
		return
	}
	now := m.Now()
	update := false
	if now.Sub(m.tpAt) > 500*time.Millisecond { // git: every 0.5 s
		m.tp = throughput(m.sent, now.Sub(m.start))
		m.tpAt, update = now, true
	}
	x := m.done()
	if p := int(x * 100 / m.objects); x > 0 && (p != m.lastPercent || update) { // git: from the first object
		m.lastPercent = p
		m.draw(x, "\r")
	}
}

// done is the number of objects sent, in proportion to the bytes.
func (m *meter) done() uint64 {
	if m.size <= 0 || m.sent >= m.size {
		return m.objects
	}
	return uint64(float64(m.objects) * float64(m.sent) / float64(m.size))
}

// end draws the last state of the meter with ", done." and what follows.
func (m *meter) end() {
	m.ended = true
	if m.objects == 0 {
		return
	}
	m.tp = throughput(m.sent, m.Now().Sub(m.start))
	m.lastPercent = 100
	m.draw(m.objects, ", "+m.Done+".\n")
	io.WriteString(m.W, m.After)
}

// draw writes one state as git's progress.c does: a shorter line than
// the last one is padded to cover it.
func (m *meter) draw(x uint64, eol string) {
	counters := fmt.Sprintf("%3d%% (%d/%d)%s", x*100/m.objects, x, m.objects, m.tp)
	pad := 0
	if len(counters) < m.lastLen {
		pad = m.lastLen - len(counters) + 1 - len(eol)
	}
	m.lastLen = len(counters)
	fmt.Fprintf(m.W, "%s: %s%s%s", m.Title, counters, strings.Repeat(" ", max(pad, 0)), eol)
}

// throughput is git's ", <bytes sent> | <rate>".
func throughput(total int64, took time.Duration) string {
	rate := total
	if took > 0 {
		rate = int64(float64(total) / took.Seconds())
	}
	return ", " + humanise(total, "") + " | " + humanise(rate, "/s")
}

// humanise is git's strbuf_humanise: bytes in GiB, MiB or KiB with two
// decimals, or in bytes; unit ends each unit ("/s" for a rate).
func humanise(n int64, unit string) string {
	switch {
	case n > 1<<30:
		return fmt.Sprintf("%d.%02d GiB%s", n>>30, (n&(1<<30-1))/10737419, unit)
	case n > 1<<20:
		x := n + 5243 // rounding, as git
		return fmt.Sprintf("%d.%02d MiB%s", x>>20, ((x&(1<<20-1))*100)>>20, unit)
	case n > 1<<10:
		x := n + 5
		return fmt.Sprintf("%d.%02d KiB%s", x>>10, ((x&(1<<10-1))*100)>>10, unit)
	case n == 1:
		return "1 byte" + unit
	}
	return fmt.Sprintf("%d bytes%s", n, unit)
}
