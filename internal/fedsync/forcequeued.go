package fedsync

import (
	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

// forcedQueued are, for mirror m, the covered refs whose update a push
// forced and queued (m did not take it then) at the value origin still
// has. Sync forces them too, as the push's own retry would: the user
// forced that value. Without this, sync (force = false) kept the
// mirror's old value as diverged, and the queue entry waited for the
// repository's next push (found by the chaos soak: a branch and a tag
// force-moved while a mirror was unreachable stayed at their old values
// on it after every sync).
func (rq *repoQueue) forcedQueued(f *federation.Federation, m federation.Endpoint, origin *refs.Listing) map[string]bool {
	if rq == nil {
		return nil
	}
	entries, err := rq.q.ForMirror(m.Raw)
	if err != nil {
		return nil // settle reports the queue's error
	}
	out := map[string]bool{}
	for _, en := range entries {
		if en.Force && !en.Delete() && en.OID == origin.OID(en.Ref) && covers(f)(en.Ref) {
			out[en.Ref] = true
		}
	}
	return out
}

// forceQueued turns the keeping of an ahead or diverged ref into a
// forced update when forced says its queued update was forced.
func forceQueued(plans []RefPlan, forced map[string]bool) {
	for i := range plans {
		p := &plans[i]
		if p.Action == ActKeep && (p.State == Ahead || p.State == Diverged) && forced[p.Ref] {
			p.Action = ActForce
		}
	}
}
