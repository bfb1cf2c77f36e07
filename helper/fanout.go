package helper

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/git-remote-federate/git-remote-federate/internal/delivery"
	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// MirrorPushTimeout bounds the push to one mirror. Each mirror has its
// own limit: a slow mirror must not cut the others short.
const MirrorPushTimeout = 30 * time.Minute

// fanoutTargets are the servers a push goes to after the primary: every
// mirror but the one pushed to first. With pushOrigin = false the origin
// is a read-only upstream and gets nothing.
func (s *Session) fanoutTargets() []federation.Endpoint {
	primary := s.pushTarget()
	var out []federation.Endpoint
	for _, m := range s.Fed.Mirrors {
		if m.Raw != primary.Raw {
			out = append(out, m)
		}
	}
	return out
}

// acceptedUpdates are the updates the primary took, forced on the mirrors
// when the user forced them or the primary needed a forced update (a
// --force-with-lease that rewound a branch). before is the primary's
// refs before the push (nil when not listed), each update's old value
// where the mirror's own is not known.
func acceptedUpdates(updates []update, status []transport.Status, before *refs.Listing) []indexedUpdate {
	var out []indexedUpdate
	for i, u := range updates {
		if !status[i].Accepted() || (!u.Delete() && u.OID == "") {
			continue
		}
		u.Force = u.Force || status[i].Forced
		out = append(out, indexedUpdate{update: u, index: i, old: delivery.OldValue(pending.Entry{Ref: u.Ref}, nil, before).Old})
	}
	return out
}

// indexedUpdate is an update and its position in git's push batch.
type indexedUpdate struct {
	update
	index int // -1 for an update retried from the pending queue
	// old is its old value where the mirror's is not known
	// (pending.Entry.Old): the primary's before the push, or the
	// queued entry's.
	old string
}

// mirrorPlan is what one mirror is sent.
type mirrorPlan struct {
	Mirror  federation.Endpoint
	Updates []indexedUpdate
	// Queue is what becomes of the entries queued for the mirror: its
	// Todo are among Updates; a stale entry of a ref this push updates
	// leaves the queue when the newer value lands.
	Queue delivery.Plan
}

// mirrorRef is what a mirror did with one ref.
type mirrorRef struct {
	indexedUpdate
	OK     bool
	Reason transport.Reason
}

// mirrorOutcome is one mirror's push.
type mirrorOutcome struct {
	Plan  mirrorPlan
	Refs  []mirrorRef
	Fatal transport.Reason // the push failed as a whole
	Hint  string           // what the user can do about Fatal, if known
	// Listed is the mirror's refs as listed for this push, nil when it
	// was not: the old value of what it did not take.
	Listed *refs.Listing
}

// fanOut pushes the accepted updates, plus what is queued for each
// mirror, to every mirror in parallel, reports each mirror on stderr,
// updates the pending queue, and with requireMirrors turns a ref some
// mirror did not take into an error in status (when given). It returns
// each mirror's outcome.
func (s *Session) fanOut(ctx context.Context, mirrors []federation.Endpoint, accepted []indexedUpdate, status []transport.Status) []mirrorOutcome {
	q := s.queue()
	plans := s.planMirrors(ctx, q, mirrors, accepted)
	if !anyUpdates(plans) {
		return nil // the primary took nothing and nothing is queued
	}
	if q != nil && !s.opts.DryRun {
		// Written ahead: if this process dies before the mirrors
		// answered, the next push or sync still has the work, and
		// the reason says what happened.
		s.writeAhead(ctx, q, mirrors, accepted, pending.ReasonInterrupted.String())
	}
	s.announce(plans, len(accepted))
	outcomes := make([]mirrorOutcome, len(plans))
	if s.packs == nil { // not listed ahead: the detached delivery
		s.packs = s.newPacks(ctx)
	}
	defer func() { s.packs.Close(); s.packs = nil }()
	var mu sync.Mutex // one mirror's report lines stay together
	var g errgroup.Group
	for i, p := range plans {
		g.Go(func() error {
			outcomes[i] = s.pushMirror(ctx, p)
			mu.Lock()
			s.reportMirror(outcomes[i])
			mu.Unlock()
			return nil // a mirror's failure is reported and queued, not fatal
		})
	}
	g.Wait()
	switch {
	case s.opts.DryRun:
	case q != nil:
		s.recordOutcomes(ctx, q, outcomes)
	case anyFailed(outcomes):
		s.P.Fprintf(s.Stderr, "warning: federate: GIT_DIR is not set; what the mirrors refused cannot be queued for retry\n")
	}
	if s.Fed.RequireMirrors && status != nil {
		requireMirrors(outcomes, status)
	}
	return outcomes
}

// queue is the pending queue of this repository, or nil when git gave no
// GIT_DIR (then nothing can be queued, and the user is told).
func (s *Session) queue() *pending.Queue {
	if s.GitDir == "" {
		return nil
	}
	return pending.Open(s.GitDir)
}

// planMirrors gives each mirror the accepted updates and, unless the push
// is atomic (the user's set must stay exactly what they asked for), the
// updates still queued for it (delivery.Decide, against the primary's
// refs once this push is on it) whose objects this repository has. A
// queued value of a ref this push updates is superseded.
func (s *Session) planMirrors(ctx context.Context, q *pending.Queue, mirrors []federation.Endpoint, accepted []indexedUpdate) []mirrorPlan {
	var queued []pending.Entry
	if q != nil {
		var err error
		if queued, err = q.Load(); err != nil {
			s.P.Fprintf(s.Stderr, "warning: federate: %s\n", s.P.Error(err))
		}
	}
	have := s.objectNames(ctx, queuedOIDs(queued))
	var upstream *refs.Listing
	if len(queued) > 0 {
		upstream = afterPush(s.primaryNow(ctx), accepted)
	}
	inPush := map[string]bool{}
	for _, u := range accepted {
		inPush[u.Ref] = true
	}
	hold := func(e pending.Entry) bool {
		switch {
		case inPush[e.Ref], s.opts.Atomic:
			return true
		case !e.Delete() && have[e.OID] == "":
			s.Log.Debug("queued object not in this repository", "mirror", e.Mirror, "ref", e.Ref)
			return true
		}
		return false
	}
	plans := make([]mirrorPlan, len(mirrors))
	for i, m := range mirrors {
		p := mirrorPlan{Mirror: m, Updates: append([]indexedUpdate(nil), accepted...),
			Queue: delivery.Decide(m.Raw, queued, upstream, nil)}
		p.Queue.Hold(hold)
		if n := len(p.Queue.Stale); n > 0 {
			s.Log.Debug("queued updates not carried", "mirror", m.Raw, "count", n)
		}
		for _, t := range p.Queue.Todo {
			p.Updates = append(p.Updates, indexedUpdate{index: -1, old: t.Old,
				update: update{Ref: t.Ref, Src: srcOf(t.Entry), OID: t.OID, Force: t.Force}})
		}
		plans[i] = p
	}
	return plans
}

// before is the refs of the server pushed to first as listed for this
// push, before it took anything: the old value of an update queued for
// a mirror not listed (delivery.OldValue). nil when it was not listed.
func (s *Session) before() *refs.Listing {
	if s.listing == nil || s.listing.Server.Raw != s.pushTarget().Raw {
		return nil
	}
	return s.listing.Listing
}

// primaryNow is the refs of the server pushed to first, against which
// queued updates are judged: the listing of this push, or one taken now
// (a background delivery). nil when it cannot be listed.
func (s *Session) primaryNow(ctx context.Context) *serverRefs {
	target := s.pushTarget()
	if s.listing != nil && s.listing.Server.Raw == target.Raw {
		return s.listing
	}
	l, err := s.LsRemote(ctx, target)
	if err != nil {
		s.Log.Debug("primary not listed: queued updates wait", "server", target.Raw, "err", err)
		return nil
	}
	return l
}

// afterPush is the primary's refs once it took the accepted updates; nil
// when it was not listed.
func afterPush(primary *serverRefs, accepted []indexedUpdate) *refs.Listing {
	if primary == nil {
		return nil
	}
	took := map[string]string{}
	for _, u := range accepted {
		took[u.Ref] = u.OID
		if u.Delete() {
			took[u.Ref] = ""
		}
	}
	return delivery.After(primary.Listing, took)
}

func anyUpdates(plans []mirrorPlan) bool {
	for _, p := range plans {
		if len(p.Updates) > 0 {
			return true
		}
	}
	return false
}

func anyFailed(outcomes []mirrorOutcome) bool {
	for _, o := range outcomes {
		for _, r := range o.Refs {
			if !r.OK {
				return true
			}
		}
	}
	return false
}

func srcOf(e pending.Entry) string {
	if e.Delete() {
		return ""
	}
	return e.OID
}

func queuedOIDs(entries []pending.Entry) []string {
	var out []string
	for _, e := range entries {
		if !e.Delete() {
			out = append(out, e.OID)
		}
	}
	return out
}

// announce prints the one line that says what the fan-out is about to do.
func (s *Session) announce(plans []mirrorPlan, n int) {
	if s.opts.Verbosity < 1 {
		return
	}
	retries := 0
	for _, p := range plans {
		retries += len(p.Updates) - n
	}
	msg := s.P.Sprintf("federate: pushing %s to %s", s.P.Sprintf("%d refs", n), s.P.Sprintf("%d mirrors", len(plans)))
	switch {
	case n == 0 && retries > 0: // the background push of what a push queued, or retries alone
		msg = s.P.Sprintf("federate: pushing %s to %s", s.P.Sprintf("%d queued updates", retries), s.P.Sprintf("%d mirrors", len(plans)))
	case retries > 0:
		msg += s.P.Sprintf(" (and %s)", s.P.Sprintf("%d queued updates", retries))
	}
	if s.opts.DryRun {
		msg += s.P.Sprintf(" (dry run)")
	}
	fmt.Fprintln(s.Stderr, msg)
}

// pushMirror pushes plan p to its mirror, with its own time limit,
// through the connection forPush picks. What the server said is kept for
// the report, not shown raw.
func (s *Session) pushMirror(ctx context.Context, p mirrorPlan) mirrorOutcome {
	out := mirrorOutcome{Plan: p}
	if len(p.Updates) == 0 {
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, MirrorPushTimeout)
	defer cancel()
	if lfsOut, ok := s.mirrorLFS(ctx, p); !ok {
		return lfsOut
	}
	updates := make([]update, len(p.Updates))
	for i, u := range p.Updates {
		updates[i] = u.update
	}
	r := s.mirrorConn(ctx, p.Mirror)
	c := s.forPush(ctx, r)
	defer c.Close()
	defer r.conn.Close()
	out = mirrorOutcomeOf(p, c.Push(ctx, updates, s.mirrorOptions()))
	if r.listing != nil {
		out.Listed = r.listing.Listing
	}
	return out
}

// mirrorConn is mirror m's connection: the one its listing opened while
// the origin pushed, once listed (waiting for it until ctx is done: then
// a child git's push says why); else, not listed ahead (the detached
// process of mirrorPush = background), reached now.
func (s *Session) mirrorConn(ctx context.Context, m federation.Endpoint) *reached {
	if r := s.conns[m.Raw]; r != nil {
		select {
		case <-r.ready:
			return r
		case <-ctx.Done():
			return &reached{srv: m, conn: s.open(m, transport.Child, false, nil)}
		}
	}
	r := &reached{packs: s.packs}
	s.reach(ctx, r, m, false, true, nil)
	return r
}

// withServerWords adds to the reason of each ref the mirror refused what
// the server itself said during the push (gitexec.ServerWords): git's
// summary, "pre-receive hook declined", leaves out why. stderr is the
// push's, already cleaned of tokens and terminal controls.
func withServerWords(refs []mirrorRef, stderr string) {
	words := gitexec.ServerWords(stderr)
	if words == "" {
		return
	}
	for i := range refs {
		if !refs[i].OK {
			refs[i].Reason = refs[i].Reason.WithWords(redact.OneLine(words))
		}
	}
}

// reportMirror prints one mirror's result: one line when all went well,
// else the mirror's reason for each ref it did not take.
func (s *Session) reportMirror(o mirrorOutcome) {
	url := o.Plan.Mirror.Raw
	if !o.Fatal.Empty() {
		s.P.Fprintf(s.Stderr, "federate: mirror %s: push failed: %s\n", url, o.Fatal.Localize(s.P))
		if o.Hint != "" {
			s.P.Fprintf(s.Stderr, "federate: mirror %s: hint: %s\n", url, o.Hint)
		}
		return
	}
	took, retried := 0, 0
	for _, r := range o.Refs {
		switch {
		case !r.OK:
			s.P.Fprintf(s.Stderr, "federate: mirror %s: %s rejected: %s\n", url, r.Ref, r.Reason.Localize(s.P))
		case r.index < 0:
			retried++
		default:
			took++
		}
	}
	if s.opts.Verbosity < 1 || took+retried == 0 {
		return
	}
	verb := s.P.Sprintf("updated")
	if s.opts.DryRun {
		verb = s.P.Sprintf("would update")
	}
	msg := s.P.Sprintf("federate: mirror %s: ok, %s %s", url, verb, s.P.Sprintf("%d refs", took))
	switch {
	case took == 0 && !s.opts.DryRun:
		msg = s.P.Sprintf("federate: mirror %s: ok, %s delivered", url, s.P.Sprintf("%d queued updates", retried))
	case retried > 0:
		msg += s.P.Sprintf(", %s delivered", s.P.Sprintf("%d queued updates", retried))
	}
	fmt.Fprintln(s.Stderr, msg)
}

// recordOutcomes queues what a mirror did not take and drops from the
// queue what it now has, as delivery.Write says. Nothing is lost: a
// failed update stays queued until a push or `git federate sync`
// delivers it.
func (s *Session) recordOutcomes(ctx context.Context, q *pending.Queue, outcomes []mirrorOutcome) {
	results := make([]delivery.Result, len(outcomes))
	for i, o := range outcomes {
		r := delivery.Result{Plan: o.Plan.Queue, Listed: o.Listed}
		r.Plan.Mirror = o.Plan.Mirror.Raw
		if !o.Fatal.Empty() {
			// The English reason is all Failure words it from.
			r.Failed = errors.New(o.Fatal.String())
		}
		for _, ref := range o.Refs {
			r.Refs = append(r.Refs, delivery.Outcome{Ref: ref.Ref, OID: ref.OID, Force: ref.Force, Old: ref.old, OK: ref.OK, Reason: ref.Reason.String()})
		}
		results[i] = r
	}
	w := delivery.Write(results...)
	dropErr, err := w.Apply(ctx, q)
	if dropErr != nil {
		s.P.Fprintf(s.Stderr, "warning: federate: %s\n", s.P.Error(dropErr))
	}
	add := w.Queue
	if !s.queued(err) {
		s.P.Fprintf(s.Stderr, "warning: federate: could not queue %s for retry: %v\n", s.P.Sprintf("%d updates", len(add)), err)
		return
	}
	if len(add) > 0 {
		s.P.Fprintf(s.Stderr, "federate: %s queued in %s; the next push or `git federate sync` retries %s\n",
			s.P.Sprintf("%d updates", len(add)), q.Path(), pronoun(s.P, len(add)))
		if s.Fed.RequireMirrors {
			// git rejected the refs, but origin has them: the same push
			// again finds nothing to send and never asks this helper.
			s.P.Fprintf(s.Stderr, "hint: origin already has what was rejected for the mirrors (requireMirrors): pushing the same again says \"Everything up-to-date\"; run `git federate sync %s` to deliver it\n", s.Fed.Name)
		}
	}
}

// writeAhead queues the accepted updates for every mirror before any is
// pushed, counting no attempt; recordOutcomes then drops what each mirror
// took. It reports whether they are queued.
func (s *Session) writeAhead(ctx context.Context, q *pending.Queue, mirrors []federation.Endpoint, accepted []indexedUpdate, reason string) bool {
	var entries []pending.Entry
	for _, m := range mirrors {
		for _, u := range accepted {
			entries = append(entries, pending.Entry{Mirror: m.Raw, Ref: u.Ref, OID: u.OID, Force: u.Force, Old: u.old, Reason: reason})
		}
	}
	err := q.Plan(ctx, entries...)
	if !s.queued(err) {
		s.P.Fprintf(s.Stderr, "warning: federate: could not queue the mirrors' updates ahead of the push: %s\n", s.P.Error(err))
		return false
	}
	return true
}

// queued reports whether a write to the queue that returned err stored
// its entries. A corrupt queue file does not stop it: the file was moved
// aside, the user is told where, and the entries were written.
func (s *Session) queued(err error) bool {
	var corrupt *pending.CorruptError
	if errors.As(err, &corrupt) {
		s.P.Fprintf(s.Stderr, "warning: federate: %s\n", s.P.Error(err))
		return true
	}
	return err == nil
}

// requireMirrors fails, in status, every ref of the push that some mirror
// did not take, naming the first such mirror and its reason.
func requireMirrors(outcomes []mirrorOutcome, status []transport.Status) {
	for _, o := range outcomes {
		for _, r := range o.Refs {
			if r.OK || r.index < 0 || !status[r.index].Accepted() {
				continue
			}
			why := r.Reason
			if !o.Fatal.Empty() {
				why = o.Fatal
			}
			status[r.index] = transport.Status{Reason: transport.Ours(transport.CodeMirror, i18n.M("mirror %s: %s", o.Plan.Mirror.Raw, why))}
		}
	}
}

func pronoun(p *i18n.Printer, n int) string {
	if n == 1 {
		return p.Sprintf("it")
	}
	return p.Sprintf("them")
}

// mirrorOutcomeOf is the outcome of plan p's push, one Status per update.
func mirrorOutcomeOf(p mirrorPlan, o transport.Outcome) mirrorOutcome {
	out := mirrorOutcome{Plan: p, Fatal: o.Fatal, Hint: o.Hint}
	for i, u := range p.Updates {
		ref := mirrorRef{indexedUpdate: u, OK: o.Refs[i].Accepted()}
		if !ref.OK {
			ref.Reason = o.Refs[i].Reason
		}
		out.Refs = append(out.Refs, ref)
	}
	if out.Fatal.Empty() {
		withServerWords(out.Refs, o.Said)
	}
	return out
}
