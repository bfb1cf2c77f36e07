package keystore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

type countingGetter struct{ asked atomic.Int64 }

func (g *countingGetter) Get(_ context.Context, k Key) (Credential, error) {
	g.asked.Add(1)
	return Credential{Token: "t-" + k.Host}, nil
}

// A Memo asks its store once for a key however it is spelled and
// however many ask at once, and gives each the same answer.
func TestMemoAsksOncePerKey(t *testing.T) {
	store := &countingGetter{}
	m := NewMemo(store)
	var wg sync.WaitGroup
	for _, k := range []Key{{Protocol: "https", Host: "Example.COM"}, {Protocol: "HTTPS", Host: "example.com"}, {Protocol: "https", Host: "EXAMPLE.com"}} {
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if c, err := m.Get(context.Background(), k); err != nil || c.Token != "t-example.com" {
					t.Errorf("Get(%v) = %q, %v", k, c.Token, err)
				}
			}()
		}
	}
	wg.Wait()
	if _, err := m.Get(context.Background(), Key{Protocol: "https", Host: "other.example"}); err != nil {
		t.Fatal(err)
	}
	if n := store.asked.Load(); n != 2 {
		t.Errorf("the store was asked %d times for two hosts, want 2", n)
	}
}
