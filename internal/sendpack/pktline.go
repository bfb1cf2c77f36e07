package sendpack

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

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
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n, err := strconv.ParseUint(string(hdr[:]), 16, 16)
	if err != nil {
		return nil, i18n.Errorf("malformed pkt-line length %q", string(hdr[:]))
	}
	switch {
	case n == 0:
		return nil, errFlush
	case n < 4:
		return nil, i18n.Errorf("unexpected pkt-line %04x", n)
	case n > maxPkt:
		return nil, i18n.Errorf("pkt-line of %d bytes, more than git's %d", n, maxPkt)
	}
	data := make([]byte, n-4)
	if _, err := io.ReadFull(r, data); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return data, nil
}

// appendPkt appends data as one pkt-line.
func appendPkt(b []byte, data string) []byte {
	return append(fmt.Appendf(b, "%04x", len(data)+4), data...)
}

// flush is the flush packet.
const flush = "0000"
