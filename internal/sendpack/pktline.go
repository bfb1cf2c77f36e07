package sendpack

import (
	"bufio"
	"fmt"
	"io"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// maxPkt is the largest pkt-line git writes: 65516 bytes of data and
// the 4 of the length.
const maxPkt = 65520

// errFlush is the flush packet "0000" as returned by readPkt.
var errFlush = fmt.Errorf("flush packet")

// readPkt reads one pkt-line: its data, or errFlush for "0000". A length
// that is not hexadecimal, below 4 (other than a flush), or above maxPkt
// is an error: the stream is not git's, or is hostile.
func readPkt(r *bufio.Reader) ([]byte, error) {
	size, err := readPktSize(r)
	if err != nil {
		return nil, err
	}
	return readPktData(r, size)
}

// readPktData reads a pkt-line's size bytes of data into a new slice.
func readPktData(r *bufio.Reader, size int) ([]byte, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, unexpectedEOF(err)
	}
	return data, nil
}

// readPktSize reads a pkt-line's length and returns the size of its
// data, or errFlush.
func readPktSize(r *bufio.Reader) (int, error) {
	peeked, err := r.Peek(4) // read in place: an array passed to io.ReadFull was made on the heap
	if err != nil {
		return 0, unexpectedEOF(err)
	}
	hdr := [4]byte(peeked)
	_, _ = r.Discard(4)
	return pktSize(hdr)
}

// pktSize is the size of the data of a pkt-line whose length is hdr, or
// errFlush.
func pktSize(hdr [4]byte) (int, error) {
	n, ok := pktLen(hdr)
	if !ok {
		return 0, i18n.Errorf("malformed pkt-line length %q", string(hdr[:]))
	}
	switch {
	case n == 0:
		return 0, errFlush
	case n < 4:
		return 0, i18n.Errorf("unexpected pkt-line %04x", n)
	case n > maxPkt:
		return 0, i18n.Errorf("pkt-line of %d bytes, more than git's %d", n, maxPkt)
	}
	return int(n - 4), nil
}

// pktLines reads the pkt-lines of an answer read whole: each line is a
// piece of s, with no copy of its own.
type pktLines struct{ s string }

// next is the next pkt-line's data, or errFlush.
func (p *pktLines) next() (string, error) {
	if len(p.s) < 4 {
		return "", io.ErrUnexpectedEOF
	}
	size, err := pktSize([4]byte{p.s[0], p.s[1], p.s[2], p.s[3]})
	p.s = p.s[4:]
	if err != nil {
		return "", err
	}
	if len(p.s) < size {
		return "", io.ErrUnexpectedEOF
	}
	line := p.s[:size]
	p.s = p.s[size:]
	return line, nil
}

// unexpectedEOF is err, an end of the stream inside a pkt-line said so.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// pktLen reads a pkt-line's length: four hexadecimal digits, either
// case, as git writes and reads them.
func pktLen(hdr [4]byte) (uint64, bool) {
	var n uint64
	for _, c := range hdr {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(c)
	}
	return n, true
}

// appendPkt appends data as one pkt-line.
func appendPkt(b []byte, data string) []byte {
	return append(fmt.Appendf(b, "%04x", len(data)+4), data...)
}

// flush is the flush packet.
const flush = "0000"
