package fedsync

import (
	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

// ReasonPruneHeld is the reason of a mirror ref that prune would have
// deleted, kept because origin's listing looked wrong (holdPrune).
var ReasonPruneHeld = i18n.M("not deleted: origin's listing lost most refs at once")

// pruneHold is why this run deletes no mirror ref: origin's listing,
// from which prune decides, looks like a fault rather than deletions.
// A nil hold holds nothing.
type pruneHold struct {
	listed, had int // origin's refs listed now; the sync cache's before
	empty       bool
}

// holdPrune decides whether origin's listing may drive deletions. A
// listing that names no ref while the cache or a mirror has some, or
// that lost most of the cache's refs at once, is far more often a
// server answering from a wrong or half-restored repository, or an
// answer that lost refs on its way, than that many deletions on origin:
// sync then deletes nothing. An empty origin is never pruned from (the
// mirrors are emptied by hand); a mass deletion is carried out by the
// next sync, once a second listing agrees with the cache, which follows
// origin's listing in either case.
func holdPrune(listed, cached *refs.Listing, mirrors []listing) *pruneHold {
	origin, had := listed.Values(), cached.Values()
	h := &pruneHold{listed: len(origin), had: len(had)}
	if len(origin) == 0 {
		h.empty = len(had) > 0
		for _, m := range mirrors {
			h.empty = h.empty || m.refs.Len() > 0
		}
		if h.empty {
			return h
		}
		return nil
	}
	lost := 0
	for ref := range had {
		if _, ok := origin[ref]; !ok {
			lost++
		}
	}
	if lost >= 2 && 2*lost > len(had) {
		return h
	}
	return nil
}

// apply turns the deletes of plans into keeps, and returns their refs.
func (h *pruneHold) apply(plans []RefPlan) map[string]bool {
	if h == nil {
		return nil
	}
	kept := map[string]bool{}
	for i := range plans {
		if p := &plans[i]; p.Action == ActDelete {
			p.Action, kept[p.Ref] = ActKeep, true
		}
	}
	return kept
}

// heldRefs counts the deletes held back across ms.
func heldRefs(ms []MirrorResult) int {
	n := 0
	for i := range ms {
		for _, r := range ms[i].Refs {
			if r.held {
				n++
			}
		}
	}
	return n
}

// say is the progress line of a hold that kept n mirror refs, naming
// origin's server.
func (h *pruneHold) say(f *federation.Federation, n int) i18n.Msg {
	if h.empty {
		return i18n.M("%s: origin %s listed no refs while the sync cache or a mirror has some: not deleting %d mirror ref(s) (prune); if origin really is empty, delete them on the mirrors by hand",
			f.Name, f.Origin.Raw, n)
	}
	return i18n.M("%s: origin %s listed %d ref(s) where the sync cache had %d: not deleting %d mirror ref(s) this run (prune); the next sync deletes them if origin still lacks them",
		f.Name, f.Origin.Raw, h.listed, h.had, n)
}
