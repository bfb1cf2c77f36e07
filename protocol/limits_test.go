package protocol

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// lines is an endless-looking input of n copies of line, generated as
// it is read, so that the test itself holds no big input; read counts
// the bytes taken.
type lines struct {
	line string
	n    int
	read int
	buf  string
}

func (l *lines) Read(p []byte) (int, error) {
	for len(l.buf) < len(p) && l.n > 0 {
		l.buf += l.line
		l.n--
	}
	if l.buf == "" {
		return 0, io.EOF
	}
	k := copy(p, l.buf)
	l.buf = l.buf[k:]
	l.read += k
	return k, nil
}

// TestHugePushBatchRefused: a batch of a million push lines is refused
// with a clear error once over MaxBatch, without reading the rest.
func TestHugePushBatchRefused(t *testing.T) {
	in := &lines{line: "push refs/heads/main:refs/heads/main\n", n: 1_000_000}
	_, err := NewReader(in).Next()
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("Next() = %v, want a refused batch", err)
	}
	if in.n == 0 {
		t.Errorf("the whole input was read (%d bytes) before refusing", in.read)
	}
}

func TestHugeFetchBatchRefused(t *testing.T) {
	in := &lines{line: "fetch " + oidA + " refs/heads/main\n", n: 1_000_000}
	if _, err := NewReader(in).Next(); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("Next() = %v, want a refused batch", err)
	}
}

// TestTooManyPushOptionsRefused: the push-option stream is bounded too.
func TestTooManyPushOptionsRefused(t *testing.T) {
	r := NewReader(&lines{line: "option push-option x\n", n: MaxPushOptions + 1})
	for i := 0; i < MaxPushOptions; i++ {
		if _, err := r.Next(); err != nil {
			t.Fatalf("option %d: %v", i, err)
		}
	}
	if _, err := r.Next(); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "push-option") {
		t.Fatalf("option %d: %v, want refused", MaxPushOptions+1, err)
	}
}
