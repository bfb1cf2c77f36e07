package keystore

import (
	"sync"

	zkeyring "github.com/zalando/go-keyring"
)

// fakeBackend is an in-memory keyring; block, when set, makes every call
// wait on it (a locked keyring waiting for a prompt).
type fakeBackend struct {
	mu    sync.Mutex
	m     map[string]string
	block chan struct{}
	calls int
}

func newFake() *fakeBackend { return &fakeBackend{m: map[string]string{}} }

func (f *fakeBackend) wait() {
	f.mu.Lock()
	f.calls++
	b := f.block
	f.mu.Unlock()
	if b != nil {
		<-b
	}
}

func (f *fakeBackend) Get(service, user string) (string, error) {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.m[service+"\x00"+user]
	if !ok {
		return "", zkeyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeBackend) Set(service, user, pw string) error {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[service+"\x00"+user] = pw
	return nil
}

func (f *fakeBackend) Delete(service, user string) error {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[service+"\x00"+user]; !ok {
		return zkeyring.ErrNotFound
	}
	delete(f.m, service+"\x00"+user)
	return nil
}
