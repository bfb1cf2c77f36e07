package helper

import (
	"context"

	"github.com/git-remote-federate/git-remote-federate/internal/delivery"
	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// landedAnyway looks again at the primary when it never answered for
// some refs (the connection broke after it took the pack): a ref that
// now has the pushed value was taken, so it counts as accepted and goes
// to the mirrors (or their queue) like any other. Without this, origin
// would hold an update no mirror gets and nothing queues. One listing,
// only when the push broke; a primary that refused the push (401, 403,
// 404, busy) took nothing and is not asked. When the primary cannot be
// asked, the updates of the broken refs are queued, unconfirmed.
func (s *Session) landedAnyway(ctx context.Context, primary federation.Endpoint, updates []update, status []transport.Status) {
	var broke []int
	for i, st := range status {
		if st.Unreported && !st.OK && !refusedWhole(st.Reason) {
			broke = append(broke, i)
		}
	}
	if len(broke) == 0 {
		return
	}
	l, err := s.LsRemote(ctx, primary)
	if err != nil {
		s.Log.Debug("primary not listed after a broken push", "server", primary.Raw, "err", err)
		s.queueUnconfirmed(ctx, primary, updates, broke)
		return
	}
	n := 0
	for _, i := range broke {
		u := updates[i]
		now := l.OID(u.Ref)
		if u.Delete() && now != "" || !u.Delete() && (u.OID == "" || now != u.OID) {
			continue
		}
		status[i] = transport.Status{OK: true, Forced: u.Force}
		n++
	}
	if n > 0 {
		s.P.Fprintf(s.Stderr, "federate: the connection to %s broke, but it has taken %d of the updates: they go to the mirrors\n",
			s.named(primary.Raw).Localize(s.P), n)
	}
}

// queueUnconfirmed queues for every mirror the updates of refs sync
// covers that the primary may have taken, when it cannot be asked. A
// push carries a queued update only while the primary has its value
// (stale), and sync settles a covered ref with origin's value: an update
// the primary did not take is never sent anywhere.
func (s *Session) queueUnconfirmed(ctx context.Context, primary federation.Endpoint, updates []update, broke []int) {
	q := s.queue()
	if q == nil || s.opts.DryRun {
		return
	}
	var entries []pending.Entry
	for _, m := range s.fanoutTargets() {
		for _, i := range broke {
			if u := updates[i]; s.Fed.Covers(u.Ref) && (u.Delete() || u.OID != "") {
				entries = append(entries, delivery.OldValue(pending.Entry{Mirror: m.Raw, Ref: u.Ref, OID: u.OID, Force: u.Force,
					Reason: "the connection to the primary broke during the push; it may have taken this"}, nil, s.before()))
			}
		}
	}
	if len(entries) == 0 || !s.queued(q.Plan(ctx, entries...)) {
		return
	}
	s.P.Fprintf(s.Stderr, "federate: the connection to %s broke and it cannot be asked what it took: the updates are queued for the mirrors in %s, carried only if it has them\n",
		s.named(primary.Raw).Localize(s.P), q.Path())
}

// queueAhead writes ahead, for every mirror, the updates of refs sync
// covers, before the primary server is pushed to: a push killed after the
// primary took an update and before it had written down the primary's
// verdict (the server finishes a push whose client is gone) leaves the
// update queued, not lost. As in queueUnconfirmed, a push carries such an
// entry only while the primary has its value, and sync settles a covered
// ref with origin's value. A (mirror, ref) with something queued already
// is left alone: that entry keeps the ref in the queue, and dropAhead
// must not take away a value it did not write. It returns what it wrote.
func (s *Session) queueAhead(ctx context.Context, updates []update) []pending.Entry {
	q := s.queue()
	if q == nil || s.opts.DryRun {
		return nil
	}
	var entries []pending.Entry
	for _, m := range s.fanoutTargets() {
		for _, u := range updates {
			if s.Fed.Covers(u.Ref) && (u.Delete() || u.OID != "") {
				entries = append(entries, delivery.OldValue(pending.Entry{Mirror: m.Raw, Ref: u.Ref, OID: u.OID, Force: u.Force,
					Reason: pending.ReasonUnconfirmed.String()}, nil, s.before()))
			}
		}
	}
	wrote, err := q.PlanNew(ctx, entries...)
	if !s.queued(err) {
		s.P.Fprintf(s.Stderr, "warning: federate: could not queue the mirrors' updates ahead of the push: %s\n", s.P.Error(err))
		return nil
	}
	return wrote
}

// dropAhead removes what queueAhead wrote for the updates the primary
// refused: no mirror is to get them. What it took stays queued until the
// mirrors' outcomes are recorded, and so does what it may have taken: a
// push that broke before the primary reported, whatever a listing right
// after says, since the server finishes a push whose client is gone and
// may not have updated the ref yet when it is listed (found by the chaos
// soak: origin's main moved after such a listing, and no mirror got it
// or had it queued). Such an entry is carried only while the primary has
// its value, and a sync settles it. (Nor can the client tell a push cut
// before the server had all of it: the kernel takes the whole request
// long before the server reads it.)
func (s *Session) dropAhead(ctx context.Context, ahead []pending.Entry, updates []update, status []transport.Status) {
	refused := map[string]bool{}
	for i, u := range updates {
		if !status[i].Accepted() && !(status[i].Unreported && !refusedWhole(status[i].Reason)) {
			refused[u.Ref] = true
		}
	}
	var drop []pending.Entry
	for _, e := range ahead {
		if refused[e.Ref] {
			drop = append(drop, e)
		}
	}
	if len(drop) == 0 {
		return
	}
	if err := s.queue().Remove(ctx, drop...); err != nil {
		s.P.Fprintf(s.Stderr, "warning: federate: %s\n", s.P.Error(err))
	}
}

// refusedWhole reports whether r, why a push failed as a whole, is the
// server's refusal of the request (its HTTP status or git's words for
// one): the server answered, so it took nothing.
func refusedWhole(r transport.Reason) bool {
	switch gitexec.Classify(&gitexec.Error{Stderr: r.String()}) {
	case gitexec.KindAuth, gitexec.KindNoWrite, gitexec.KindNotFound, gitexec.KindBusy:
		return true
	}
	return false
}
