// Package delivery decides what to do with the updates queued for a
// mirror (internal/pending) and writes the outcome of their push back to
// the queue. It is the one engine behind the push's fan-out, the
// background delivery of mirrorPush = background and `git federate
// sync`: each of them lists the servers and pushes in its own way, and
// all of them judge the queue, and word it, here.
//
// # Deciding
//
// Decide takes one mirror's entries, the refs of the server the updates
// come from (the upstream: origin, or the server a push went to first)
// and the mirror's refs, as listed now. An entry is
//
//   - settled when the mirror already has what it asks, or has the
//     upstream's value of its ref: it leaves the queue unpushed;
//   - stale when the upstream no longer has its value (the ref moved on,
//     was deleted or came back since it was queued), or the upstream
//     could not be listed: pushing it could set the mirror back, so it is
//     not pushed and stays queued until the mirror has the upstream's
//     value (a sync carries it, or a newer push supersedes it);
//   - to push otherwise, with the mirror's listed value as the value a
//     forced update or a delete expects (a compare-and-swap: a mirror ref
//     moved since it was listed is not overwritten). A fast-forward needs
//     no such lease: the mirror refuses one that is not.
//
// An entry's old value (pending.Entry.Old) plays no part here: it is
// what the writer of the queue knew of the mirror, and the mirror's ref
// moves through other queues' deliveries meanwhile (see internal/pending).
// The lease is on the value listed just before the push.
//
// # Recording
//
// Each push gives a Result: per ref, whether the mirror took it and why
// not, or an error for a push that failed as a whole. Writeback turns
// results into the one change of the queue: what landed leaves it
// (together with settled entries and stale ones the landing value
// superseded), what did not is queued with one more attempt and one
// wording of the reason (Failure, Refusal), whoever pushed. OldValue is
// the one rule for the old value of what is queued, for every writer.
package delivery

import (
	"maps"
	"slices"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

// lookup is a listing's values by ref, for the plan's many look-ups; nil
// for a server that was not listed.
type lookup map[string]string

func lookupOf(l *refs.Listing) lookup {
	if l == nil {
		return nil
	}
	return l.Values()
}

// Todo is a queued entry to push.
type Todo struct {
	pending.Entry
	// Expect is the mirror's value of the ref as listed when the entry
	// was planned ("" when it did not have it); meaningful when Lease is
	// set. It is not the entry's Old (see the package documentation).
	Expect string
	// Lease asks the push to go through only if the mirror still has
	// Expect: set for a forced update or a delete planned against a
	// listing of the mirror.
	Lease bool
}

// Update is t as an update of a child git push.
func (t Todo) Update() gitexec.Update {
	u := gitexec.Update{Dst: t.Ref, Force: t.Force}
	if !t.Delete() {
		u.Src = t.OID
	}
	if t.Lease {
		u.Lease = &gitexec.Lease{Expect: t.Expect}
	}
	return u
}

// Plan is what becomes of one mirror's queued entries.
type Plan struct {
	// Mirror is the mirror's URL as configured.
	Mirror string
	// Settled entries leave the queue without a push.
	Settled []pending.Entry
	// Stale entries stay queued and are not pushed (see the package
	// documentation, and Hold).
	Stale []pending.Entry
	// Todo are the entries to push.
	Todo []Todo
	// upstream is the upstream's refs the plan was made against.
	upstream lookup
}

// Decide plans the queued entries of mirror (entries of other mirrors
// are ignored) against the upstream's refs and the mirror's, as listed
// now; either may be nil (not listed).
func Decide(mirror string, entries []pending.Entry, upstream, listed *refs.Listing) Plan {
	up, has := lookupOf(upstream), lookupOf(listed)
	p := Plan{Mirror: mirror, upstream: up}
	for _, e := range entries {
		if e.Mirror != mirror {
			continue
		}
		switch {
		case has != nil && (e.Satisfies(has[e.Ref]) || up != nil && has[e.Ref] == up[e.Ref]):
			p.Settled = append(p.Settled, e)
		case up == nil || !e.Satisfies(up[e.Ref]):
			p.Stale = append(p.Stale, e)
		default:
			t := Todo{Entry: e}
			if has != nil {
				t.Expect = has[e.Ref]
				t.Lease = e.Force || e.Delete()
			}
			p.Todo = append(p.Todo, t)
		}
	}
	return p
}

// Hold moves the entries to push that hold says the caller cannot carry
// now (objects it lacks, an atomic push that must stay as the user asked,
// a ref the same push updates) to Stale: they stay queued, untried.
func (p *Plan) Hold(hold func(pending.Entry) bool) {
	todo := p.Todo[:0]
	for _, t := range p.Todo {
		if hold(t.Entry) {
			p.Stale = append(p.Stale, t.Entry)
			continue
		}
		todo = append(todo, t)
	}
	p.Todo = todo
}

// After is l once a server took the updates in set (ref -> value, ""
// deletes): the refs a plan is judged against after a push. nil stays nil
// (not listed).
func After(l *refs.Listing, set map[string]string) *refs.Listing {
	if l == nil {
		return nil
	}
	out := &refs.Listing{}
	for _, r := range l.Refs {
		if _, ok := set[r.Name]; !ok {
			out.Refs = append(out.Refs, r)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if oid := set[name]; strings.Trim(oid, "0") != "" {
			out.Refs = append(out.Refs, refs.Ref{Name: name, OID: oid})
		}
	}
	return out
}

// OldValue is e with its old value (pending.Entry.Old), the one rule of
// every writer of the queue: the mirror's value of the ref when the
// writer listed the mirror (listed not nil), which replaces the old
// value of a queued entry (pending.Entry.Listed); else the upstream's
// value before the update (upstream not nil), which a queued entry's
// first old value outranks; else e's own.
func OldValue(e pending.Entry, listed, upstream *refs.Listing) pending.Entry {
	switch {
	case listed != nil:
		e.Old, e.Listed = pending.OldOf(listed.OID(e.Ref)), true
	case upstream != nil:
		e.Old, e.Listed = pending.OldOf(upstream.OID(e.Ref)), false
	}
	return e
}
