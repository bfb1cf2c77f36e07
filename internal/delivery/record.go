package delivery

import (
	"context"
	"errors"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/lfs"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

// Outcome is what a mirror did with one update of a push: a queued
// entry's or, for a push's fan-out, one of the updates it carries.
type Outcome struct {
	Ref   string
	OID   string // the value pushed; "" deletes the ref
	Force bool
	// Old is the update's old value when the mirror was not listed
	// (pending.Entry.Old): a queued entry's own, or for an update of the
	// push itself the upstream's value before it.
	Old string
	// OK: the mirror has the value now.
	OK bool
	// Reason is why not, in English: the mirror's (or git's) words for
	// the ref, or one of pending's reasons.
	Reason string
}

// Result is one push to a mirror.
type Result struct {
	// Plan is the plan of the mirror's queued entries the push carried;
	// its Mirror is set even when nothing was queued.
	Plan Plan
	// Listed is the mirror's refs as the pusher listed them before the
	// push, nil when it did not list the mirror: what the mirror did not
	// take is queued with its listed value as the old value (OldValue).
	Listed *refs.Listing
	// Refs are the updates pushed and what became of each.
	Refs []Outcome
	// Failed is why the push failed as a whole (the mirror was not
	// reached, refused the credentials, broke off), or nil when the
	// mirror answered for each ref. Each update it did not take, and each
	// entry of Plan.Todo with no outcome, is queued with Failure(Failed).
	Failed error
}

// Writeback is the change a set of results makes to the queue.
type Writeback struct {
	// Drop leaves the queue: entries with these values (pending.Queue.Remove).
	Drop []pending.Entry
	// Queue is queued again, one attempt more, with its reason.
	Queue []pending.Entry
}

// Write is what results change in the queue: an update a mirror took
// leaves it, with the plan's settled entries and the stale entries of a
// ref that landed at the upstream's value; one it did not take is queued
// with its reason.
func Write(results ...Result) Writeback {
	var w Writeback
	for _, r := range results {
		w.add(r)
	}
	return w
}

func (w *Writeback) add(r Result) {
	landed := map[string]pending.Entry{}
	pushed := map[string]bool{}
	for _, o := range r.Refs {
		pushed[o.Ref] = true
		e := pending.Entry{Mirror: r.Plan.Mirror, Ref: o.Ref, OID: o.OID, Force: o.Force, Old: o.Old}
		if o.OK {
			w.Drop = append(w.Drop, e)
			landed[o.Ref] = e
			continue
		}
		e = OldValue(e, r.Listed, nil)
		e.Reason = Refusal(o.Reason)
		if r.Failed != nil {
			e.Reason = Failure(r.Failed)
		}
		w.Queue = append(w.Queue, e)
	}
	if r.Failed != nil {
		for _, t := range r.Plan.Todo {
			if !pushed[t.Ref] {
				e := OldValue(t.Entry, r.Listed, nil)
				e.Reason = Failure(r.Failed)
				w.Queue = append(w.Queue, e)
			}
		}
	}
	w.Drop = append(w.Drop, r.Plan.Settled...)
	for _, e := range r.Plan.Stale {
		v, ok := landed[e.Ref]
		if ok && (r.Plan.upstream == nil || v.Satisfies(r.Plan.upstream[e.Ref])) {
			w.Drop = append(w.Drop, e) // superseded by the value that landed
		}
	}
}

// Apply writes w to q: what leaves first, then what is queued again.
// Either error may be a *pending.CorruptError, after which the write
// still happened.
func (w Writeback) Apply(ctx context.Context, q *pending.Queue) (dropErr, queueErr error) {
	return q.Remove(ctx, w.Drop...), q.Add(ctx, w.Queue...)
}

// Failure is the reason the queue keeps for an update whose push failed
// as a whole with err, worded the same whichever way the mirror was
// pushed (the transports' own words differ: they stay in the push's
// report and log): one of pending's reasons already (a broken
// connection, a stall, LFS) is kept; a refusal says what was refused,
// a certificate or an ssh host key not trusted or git's protocol policy
// says so; anything else is a mirror that could not be reached.
func Failure(err error) string {
	text := err.Error()
	if _, ok := pending.Reason(text); ok {
		return text
	}
	if ge := (*gitexec.Error)(nil); errors.As(err, &ge) {
		text = ge.Stderr
	}
	for _, line := range strings.Split(text, "\n") {
		if why, ok := gitexec.StallReason(strings.TrimSpace(line)); ok {
			return why
		}
	}
	switch gitexec.Classify(err) {
	case gitexec.KindNotFound:
		return pending.ReasonNotFound.String()
	case gitexec.KindAuth:
		return pending.ReasonAuth.String()
	case gitexec.KindNoWrite, gitexec.KindNoRead:
		return pending.ReasonNoWrite.String()
	case gitexec.KindBusy:
		return pending.ReasonBusy.String()
	case gitexec.KindHostKey:
		return pending.ReasonHostKey.String()
	case gitexec.KindTLS:
		return pending.ReasonTLS.String()
	case gitexec.KindForbidden:
		return pending.ReasonForbidden.String()
	}
	return pending.ReasonUnreachable.String()
}

// Refusal is the reason the queue keeps for a ref the mirror refused:
// its words, except that git's words for a mirror ref that has commits
// the update does not ("fetch first" when the mirror's commits are not
// here, "non-fast-forward" when they are, the helper protocol's "non-fast
// forward") are one reason, the same whoever pushed.
func Refusal(words string) string {
	switch words {
	case "fetch first", "non-fast-forward", "non-fast forward":
		return pending.ReasonDiverged.String()
	}
	return words
}

// WithWords is reason followed by what the server said during the push
// (gitexec.ServerWords): git's summary, "pre-receive hook declined",
// leaves out why.
func WithWords(reason, words string) string {
	if words == "" {
		return reason
	}
	return reason + ": " + words
}

// ChildResult is the Result of a child `git push` of p.Todo to p's
// mirror that returned res and err.
func ChildResult(p Plan, res gitexec.PushResult, err error) Result {
	r := Result{Plan: p}
	if err != nil && res.Failed {
		r.Failed = err
	}
	var words string
	if ge := (*gitexec.Error)(nil); !res.Failed && errors.As(err, &ge) {
		words = gitexec.ServerWords(ge.Stderr)
	}
	for _, t := range p.Todo {
		rep := res.Report(t.Ref)
		o := Outcome{Ref: t.Ref, OID: t.OID, Force: t.Force, Old: t.Old, OK: rep.OK()}
		if !o.OK {
			o.Reason = WithWords(rep.Words(), words)
		}
		r.Refs = append(r.Refs, o)
	}
	return r
}

// LFSReason is the reason of an update whose LFS objects could not go
// to the server before it (err).
func LFSReason(err error) i18n.Msg {
	if errors.Is(err, lfs.ErrUnsupported) {
		return pending.ReasonNoLFS
	}
	return pending.ReasonLFS(err)
}

// Ours is a failure whose reason is m, one of pending's (for Failure).
func Ours(m i18n.Msg) error { return oursError{m} }

type oursError struct{ m i18n.Msg }

func (e oursError) Error() string { return e.m.String() }
