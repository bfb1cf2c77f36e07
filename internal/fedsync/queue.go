package fedsync

import (
	"slices"
	"sync"
)

// queue holds the run's listings that are started and not yet sent, in
// the order they were started. The run's workers, as many as listings
// may be in flight (Jobs), each take the first one whose host is under
// its limit (HostJobs), so a listing waiting for a busy host holds up
// neither a worker nor the listings of other hosts.
//
// In that order a run's requests go to its servers in turn, as each
// federation starts its origin's and its mirrors' together. When each
// federation took a slot of the run for each of its servers in turn,
// the federations waiting for one all waited at their origin: the run's
// requests went to one host at a time, each on a connection of its own
// (32 connections to 4 servers where the same requests by a bare client
// made 16), and 1,000 federations in 4 shards took 7% longer
// (docs/benchmarks.md).
type queue struct {
	mu      sync.Mutex
	ready   sync.Cond // a listing was started, or the queue closed
	waiting []*listed
	busy    map[string]int // listings in flight, by host
	limit   int            // listings in flight to one host at most, and the connections kept to it
	closed  bool
}

func newQueue(hostLimit int) *queue {
	q := &queue{busy: map[string]int{}, limit: hostLimit}
	q.ready.L = &q.mu
	return q
}

// push adds t at the end.
func (q *queue) push(t *listed) {
	q.mu.Lock()
	q.waiting = append(q.waiting, t)
	q.mu.Unlock()
	q.ready.Signal()
}

// next takes the first listing whose host is under its limit, counted in
// flight until done, waiting until there is one; nil once the queue is
// closed.
func (q *queue) next() *listed {
	q.mu.Lock()
	defer q.mu.Unlock()
	for !q.closed {
		for i, t := range q.waiting {
			if q.busy[t.ep.Host] < q.limit {
				q.busy[t.ep.Host]++
				q.waiting = slices.Delete(q.waiting, i, i+1)
				return t
			}
		}
		q.ready.Wait()
	}
	return nil
}

// done counts t out of flight. No worker is woken: the one that sent t
// asks next for another at once, and one of t's host may go then.
func (q *queue) done(t *listed) {
	q.mu.Lock()
	q.busy[t.ep.Host]--
	q.mu.Unlock()
}

// close ends next's waits: the workers stop.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.ready.Broadcast()
}
