package keystore

import (
	"context"
	"sync"
)

// Getter is what asks a store for a key's credential.
type Getter interface {
	Get(ctx context.Context, k Key) (Credential, error)
}

// Memo asks a store once for each key and keeps the answer, for one
// run: sync asks for each host's token to redact it from what its
// children print, and again to send it, and each asking of the OS
// keyring is a round trip over D-Bus. Keys are compared in canonical
// form. The first caller's context bounds the asking, and its answer,
// an error too, is every caller's.
type Memo struct {
	store Getter
	mu    sync.Mutex
	got   map[Key]*memoEntry
}

type memoEntry struct {
	once sync.Once
	cred Credential
	err  error
}

// NewMemo is a Memo of store.
func NewMemo(store Getter) *Memo {
	return &Memo{store: store, got: map[Key]*memoEntry{}}
}

// Get implements Getter.
func (m *Memo) Get(ctx context.Context, k Key) (Credential, error) {
	k, err := k.Canonical()
	if err != nil {
		return Credential{}, err
	}
	m.mu.Lock()
	e := m.got[k]
	if e == nil {
		e = &memoEntry{}
		m.got[k] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.cred, e.err = m.store.Get(ctx, k) })
	return e.cred, e.err
}
