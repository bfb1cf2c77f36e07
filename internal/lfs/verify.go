package lfs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// ErrAnswer is a batch answer that names an object that was not asked
// for, or one at another size: nothing is sent on its word.
var ErrAnswer = i18n.Errorf("refused the LFS server's answer")

// ErrCorrupt is content that is not the object it was read as: its
// SHA-256 or its size differs from the OID and size asked for.
var ErrCorrupt = i18n.Errorf("LFS object content does not match its OID and size")

// Verified reads o's content from r and fails with ErrCorrupt, as
// git-lfs does, when it is not o. The last byte is held back until the
// whole content, and nothing after it, has hashed to o's OID: an upload
// that streams it stops one byte short of the size it declared, so no
// server ever holds a complete wrong object.
func Verified(o Object, r io.Reader) io.Reader { return checking(o, r) }

func checking(o Object, r io.Reader) *verified {
	return &verified{o: o, r: r, h: sha256.New()}
}

type verified struct {
	o   Object
	r   io.Reader
	h   hash.Hash
	n   int64
	err error // once set, every Read returns it

	mu     sync.Mutex
	failed error // err when it is not io.EOF, for another goroutine
}

// cause is the error that stopped reading, other than the end: an
// upload that failed because of its content says so, not how the
// transport broke off.
func (v *verified) cause() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.failed
}

func (v *verified) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if left := v.o.Size - v.n; left > 1 {
		if int64(len(p)) > left-1 {
			p = p[:left-1]
		}
		k, err := v.r.Read(p)
		v.h.Write(p[:k])
		v.n += int64(k)
		if errors.Is(err, io.EOF) {
			return k, v.fail(i18n.Errorf("%w: object %s ends after %d of its %d bytes", ErrCorrupt, v.o.OID, v.n, v.o.Size))
		}
		if err != nil {
			v.fail(err)
		}
		return k, err
	}
	return v.last(p)
}

// last reads the final byte (none for an empty object), checks that
// nothing follows and that the whole hashes to the OID, and only then
// gives it.
func (v *verified) last(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var b [1]byte
	k := 0
	if v.o.Size > v.n {
		var err error
		if k, err = io.ReadFull(v.r, b[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return 0, v.fail(i18n.Errorf("%w: object %s ends after %d of its %d bytes", ErrCorrupt, v.o.OID, v.n, v.o.Size))
			}
			return 0, v.fail(err)
		}
		v.h.Write(b[:k])
		v.n += int64(k)
	}
	var more [1]byte
	switch extra, err := io.ReadFull(v.r, more[:]); {
	case extra > 0:
		return 0, v.fail(i18n.Errorf("%w: object %s is longer than its %d bytes", ErrCorrupt, v.o.OID, v.o.Size))
	case err != nil && !errors.Is(err, io.EOF):
		return 0, v.fail(err)
	}
	if hex.EncodeToString(v.h.Sum(nil)) != v.o.OID {
		return 0, v.fail(i18n.Errorf("%w: the %d bytes read as object %s have another SHA-256", ErrCorrupt, v.n, v.o.OID))
	}
	p[0] = b[0]
	v.err = io.EOF
	return k, nil
}

func (v *verified) fail(err error) error {
	v.err = err
	v.mu.Lock()
	v.failed = err
	v.mu.Unlock()
	return err
}
