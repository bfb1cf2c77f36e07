package fedsync

import (
	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
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
//
// A queued delete or forced update that origin has moved on from (the
// branch was deleted and made anew, or rewound again) counts too while
// the mirror still holds the entry's old value: the mirror missed that
// rewind, and origin's value now is it and what came after, which no
// fast-forward reaches (found by the soak: a branch deleted while a
// mirror was down, then pushed anew from another working copy, stayed at
// its old history on that mirror). A mirror that holds anything else is
// kept as before: that value did not come from this queue.
func (rq *repoQueue) forcedQueued(f *federation.Federation, m federation.Endpoint, origin, listed *refs.Listing) map[string]bool {
	if rq == nil {
		return nil
	}
	entries, err := rq.q.ForMirror(m.Raw)
	if err != nil {
		return nil // settle reports the queue's error
	}
	out := map[string]bool{}
	for _, en := range entries {
		if !covers(f)(en.Ref) {
			continue
		}
		if en.Force && !en.Delete() && en.OID == origin.OID(en.Ref) || missedRewind(en, origin, listed) {
			out[en.Ref] = true
		}
	}
	return out
}

// missedRewind reports whether en deleted or rewound its ref to a value
// origin no longer has while the mirror, as listed, still holds what it
// held when en was queued.
func missedRewind(en pending.Entry, origin, listed *refs.Listing) bool {
	if !en.Force && !en.Delete() || en.OID == origin.OID(en.Ref) || listed == nil {
		return false
	}
	return en.Old != "" && en.Old != pending.Absent && listed.OID(en.Ref) == en.Old
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
