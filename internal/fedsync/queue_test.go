package fedsync

import (
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
)

// Listings go in the order they were started, except that one whose
// host has its limit in flight waits and lets the next go; a listing
// done lets one more of its host go.
func TestQueueTakesTheFirstWhoseHostIsFree(t *testing.T) {
	listing := func(host string) *listed { return &listed{ep: federation.Endpoint{Host: host}} }
	a1, a2, b1, a3 := listing("a"), listing("a"), listing("b"), listing("a")
	q := newQueue(2)
	for _, l := range []*listed{a1, a2, a3, b1} {
		q.push(l)
	}
	for i, want := range []*listed{a1, a2, b1} {
		if got := q.next(); got != want {
			t.Fatalf("take %d: host %q, want the listing started %s", i, got.ep.Host, []string{"first", "second", "fourth (the third's host is busy)"}[i])
		}
	}
	q.done(a1)
	if got := q.next(); got != a3 {
		t.Fatalf("after one of a's is done: got a listing of %q, want a's third", got.ep.Host)
	}
	closed := make(chan *listed)
	go func() { closed <- q.next() }() // nothing left: waits
	q.close()
	if got := <-closed; got != nil {
		t.Fatalf("a closed queue gave a listing of %q", got.ep.Host)
	}
}
