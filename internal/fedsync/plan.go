package fedsync

import (
	"context"
	"strings"
)

// State is how a mirror's ref compares with origin's.
type State string

// The states of `git federate status`.
const (
	InSync   State = "in-sync"  // same value
	Behind   State = "behind"   // mirror is an ancestor of origin: a fast-forward fixes it
	Ahead    State = "ahead"    // origin is an ancestor of mirror: commits only on the mirror
	Diverged State = "diverged" // both have commits of their own (or a tag differs)
	Missing  State = "missing"  // on origin, not on the mirror
	Extra    State = "extra"    // on the mirror, not on origin
)

// Action is what sync does to one mirror ref.
type Action string

// The actions of `git federate sync`.
const (
	ActNone   Action = "none"   // in sync
	ActCreate Action = "create" // push a ref the mirror lacks
	ActUpdate Action = "update" // fast-forward
	ActForce  Action = "force"  // overwrite commits only the mirror has (--force)
	ActDelete Action = "delete" // remove a ref origin no longer has (--prune)
	ActKeep   Action = "keep"   // leave as is: ahead/diverged without --force, extra without --prune
)

// RefPlan is one covered ref of one mirror.
type RefPlan struct {
	Ref    string `json:"ref"`
	State  State  `json:"state"`
	Action Action `json:"action"`
	Origin string `json:"origin,omitempty"` // origin's value; "" when extra
	Mirror string `json:"mirror,omitempty"` // mirror's value; "" when missing
}

// needsAncestry reports whether telling behind/ahead/diverged apart needs
// the commit graph: both sides have the ref, with different values, and
// it is not a tag (a moved tag is diverged whatever its history).
func needsAncestry(ref, origin, mirror string) bool {
	return origin != "" && mirror != "" && origin != mirror && !strings.HasPrefix(ref, "refs/tags/")
}

// classify compares origin's and a mirror's covered refs. ancestor answers
// "is a an ancestor of b" from the cache; it is only called for refs where
// needsAncestry holds and both objects are in the cache.
// origin and mirror map each ref to its value (refs.Listing.Values).
func classify(ctx context.Context, origin, mirror map[string]string, ancestor func(ctx context.Context, a, b string) (bool, error)) ([]RefPlan, error) {
	names := map[string]bool{}
	for r := range origin {
		names[r] = true
	}
	for r := range mirror {
		names[r] = true
	}
	plans := make([]RefPlan, 0, len(names))
	for _, ref := range sortedKeys(names) {
		p := RefPlan{Ref: ref, Origin: origin[ref], Mirror: mirror[ref]}
		switch {
		case p.Origin == p.Mirror:
			p.State = InSync
		case p.Mirror == "":
			p.State = Missing
		case p.Origin == "":
			p.State = Extra
		case !needsAncestry(ref, p.Origin, p.Mirror):
			p.State = Diverged
		default:
			st, err := ancestry(ctx, p.Origin, p.Mirror, ancestor)
			if err != nil {
				return nil, err
			}
			p.State = st
		}
		plans = append(plans, p)
	}
	return plans, nil
}

func ancestry(ctx context.Context, origin, mirror string, ancestor func(ctx context.Context, a, b string) (bool, error)) (State, error) {
	if ok, err := ancestor(ctx, mirror, origin); err != nil || ok {
		return Behind, err
	}
	if ok, err := ancestor(ctx, origin, mirror); err != nil || ok {
		return Ahead, err
	}
	return Diverged, nil
}

// decide sets each plan's action from its state and the force and prune
// settings.
func decide(plans []RefPlan, force, prune bool) {
	for i := range plans {
		p := &plans[i]
		switch p.State {
		case InSync:
			p.Action = ActNone
		case Missing:
			p.Action = ActCreate
		case Behind:
			p.Action = ActUpdate
		case Ahead, Diverged:
			p.Action = ActKeep
			if force {
				p.Action = ActForce
			}
		case Extra:
			p.Action = ActKeep
			if prune {
				p.Action = ActDelete
			}
		}
	}
}
