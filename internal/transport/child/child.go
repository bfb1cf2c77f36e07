// Package child reaches a server with child git processes: `git
// ls-remote` lists it and `git push --porcelain` (internal/gitexec's one
// push builder) pushes to it. It is one of the three transport.Conn
// implementations; transport.Choose says when it is used: a server that
// is not http(s), or a mirror pushed without a listing ahead.
package child

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/lines"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// Config is what a Conn needs from the session, passed in.
type Config struct {
	URL string
	// Git lists the server (`git ls-remote`, with the user's rewrite
	// rules left out); Repo pushes from the local repository.
	Git, Repo gitexec.Runner
	// ListLimit bounds the listing.
	ListLimit time.Duration
	// Explain gives err at url its hint; ExplainRead a listing's
	// (gitexec.ExplainAs, ExplainReadAs with the account known there).
	Explain, ExplainRead func(ctx context.Context, err error, url string) error
	// Stderr is the user's terminal: the origin's push shows git's
	// progress and the server's messages there as they come; a
	// mirror's are kept for the outcome.
	Stderr io.Writer
	P      *i18n.Printer
}

// Conn is a server reached by child gits.
type Conn struct {
	cfg    Config
	listed *refs.Listing
	err    error
	tried  bool
}

// New is the Conn of cfg's server; nothing runs yet.
func New(cfg Config) *Conn { return &Conn{cfg: cfg} }

// Way is transport.Child.
func (c *Conn) Way() transport.Way { return transport.Child }

// Close does nothing: each child has exited.
func (c *Conn) Close() {}

// List lists the server's refs with `git ls-remote --symref`, once.
func (c *Conn) List(ctx context.Context) (*refs.Listing, error) {
	if c.tried {
		return c.listed, c.err
	}
	c.tried = true
	c.listed, c.err = c.list(ctx)
	return c.listed, c.err
}

func (c *Conn) list(ctx context.Context) (*refs.Listing, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ListLimit)
	defer cancel()
	g, url := c.cfg.Git.Plain(c.cfg.URL)
	g.Stderr = nil // captured into the error; the caller decides what to show
	out, err := g.LsRemote(ctx, url, "--symref")
	if err != nil {
		if c.cfg.ExplainRead != nil {
			err = c.cfg.ExplainRead(ctx, err, c.cfg.URL) // ls-remote reads
		}
		return nil, i18n.Errorf("listing %s: %w", c.cfg.URL, err)
	}
	l, err := refs.ParseLsRemote(out)
	if err != nil {
		return nil, i18n.Errorf("listing %s: %w", c.cfg.URL, err)
	}
	return l, nil
}

// Push runs one `git push` of updates. The origin's shows git's
// progress and the server's messages on the user's terminal; a
// mirror's is kept for the outcome.
func (c *Conn) Push(ctx context.Context, updates []transport.Update, o transport.PushOptions) transport.Outcome {
	if o.Limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Limit)
		defer cancel()
	}
	if o.Origin {
		return c.pushOrigin(ctx, updates, o)
	}
	return c.pushMirror(ctx, updates, o)
}

func (c *Conn) pushOrigin(ctx context.Context, updates []transport.Update, o transport.PushOptions) transport.Outcome {
	stderr := c.cfg.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	f := &LineFilter{W: stderr, Drop: "error: failed to push some refs to "}
	g := c.cfg.Repo
	g.Stderr = f
	res, _ := g.Push(ctx, OriginPush(c.cfg.URL, updates, o))
	f.Flush()
	out := transport.Outcome{Refs: make([]transport.Status, len(updates))}
	for i, u := range updates {
		out.Refs[i] = StatusOf(res.Report(u.Ref))
	}
	return out
}

// OriginPush is the push to the server pushed to first, with what git
// set with "option" before the push batch: its leases ("cas
// <ref>:<oid>") go to the updates of those refs.
func OriginPush(url string, updates []transport.Update, o transport.PushOptions) gitexec.Push {
	p := push(url, updates, o)
	p.Progress = o.Progress && o.Verbosity > 0
	p.Verbose = o.Verbosity > 1
	p.ForceIfIncludes = o.ForceIfIncludes
	p.Signed = o.Signed
	for i, u := range p.Updates {
		if l, ok := o.Leases.For(u.Dst); ok {
			p.Updates[i].Lease = &gitexec.Lease{Expect: l.Expect, Tracking: !l.HasValue}
		}
	}
	return p
}

// push is the push of updates to url that every server gets: the
// parent git already ran the pre-push hook, expanded push.pushOption,
// followed tags and recursed into submodules, and the push engine makes
// sure no child does it again.
func push(url string, updates []transport.Update, o transport.PushOptions) gitexec.Push {
	p := gitexec.Push{URL: url, DryRun: o.DryRun, Atomic: o.Atomic, Options: o.PushOptions}
	for _, u := range updates {
		p.Updates = append(p.Updates, gitexec.Update{Dst: u.Ref, Src: u.Source(), Force: u.Force})
	}
	return p
}

// pushMirror pushes a mirror's updates, its output kept for the report.
func (c *Conn) pushMirror(ctx context.Context, updates []transport.Update, o transport.PushOptions) transport.Outcome {
	g := c.cfg.Repo
	g.Stderr = nil // kept for the report, not shown raw
	todo := updates
	res, err := g.Push(ctx, push(c.cfg.URL, todo, o))
	if gone := res.MissingDeletes; len(gone) > 0 {
		// git refuses the whole push when a deleted ref is not on the
		// mirror; it already has what the delete asks for, so push the rest.
		todo = withoutDeletes(todo, gone)
		res, err = gitexec.PushResult{}, nil
		if len(todo) > 0 {
			res, err = g.Push(ctx, push(c.cfg.URL, todo, o))
		}
	}
	out := transport.Outcome{Refs: make([]transport.Status, len(updates))}
	for i, u := range updates {
		rep := res.Report(u.Ref)
		out.Refs[i] = transport.Status{OK: rep.OK()}
		if !rep.OK() {
			out.Refs[i].Reason = mirrorReason(rep)
		}
	}
	var ge *gitexec.Error
	if errors.As(err, &ge) && !res.Failed {
		out.Said = ge.Stderr // kept cleaned by the runner
	}
	if err != nil && res.Failed {
		out.Fatal = transport.Said(res.Fatal)
		var he *gitexec.HintError
		if c.cfg.Explain != nil && errors.As(c.cfg.Explain(ctx, err, c.cfg.URL), &he) {
			out.Hint = he.HintIn(c.cfg.P)
		}
	}
	return out
}

func withoutDeletes(todo []transport.Update, gone map[string]bool) []transport.Update {
	var out []transport.Update
	for _, u := range todo {
		if !(u.Delete() && gone[u.Ref]) {
			out = append(out, u)
		}
	}
	return out
}

// mirrorReason is the mirror's own reason for not taking a ref, in git's
// words ("non-fast-forward", "fetch first", a hook's message...).
func mirrorReason(r gitexec.RefReport) transport.Reason {
	if r.Reason != "" {
		return transport.Said(r.Reason)
	}
	if st := StatusOf(r); !st.Reason.Empty() {
		return st.Reason
	}
	return transport.Said(r.Words())
}

// StatusOf translates a porcelain report into the reply git expects from
// a helper: git's own rejection words map back to its statuses, so the
// user sees "! [rejected] main -> main (non-fast-forward)" and git's hints.
func StatusOf(r gitexec.RefReport) transport.Status {
	switch {
	case r.UpToDate():
		return transport.Status{UpToDate: true}
	case r.OK():
		return transport.Status{OK: true, Forced: r.Forced()}
	case r.Summary == "[rejected]" && r.Reason == "non-fast-forward":
		return transport.Status{Reason: transport.NonFastForward()}
	case r.Unreported():
		return transport.Status{Reason: transport.ReadBack(r.Reason), Unreported: true}
	}
	return transport.Status{Reason: transport.Said(r.Words())}
}

// LineFilter passes a child's stderr through line by line (a progress
// line ends in '\r') and drops lines starting with Drop.
type LineFilter struct {
	W     io.Writer
	Drop  string
	lines lines.Writer
}

// Write passes each whole line of p on, unless it is dropped.
func (f *LineFilter) Write(p []byte) (int, error) {
	if f.lines.Line == nil {
		f.lines.Line = f.emit
	}
	return f.lines.Write(p)
}

// Flush writes what is left after the child exits.
func (f *LineFilter) Flush() {
	if f.lines.Line != nil {
		_ = f.lines.Flush()
	}
}

func (f *LineFilter) emit(line []byte, end byte) error {
	if f.Drop != "" && strings.HasPrefix(string(line), f.Drop) {
		return nil
	}
	if end != 0 {
		line = append(line, end)
	}
	f.W.Write(line)
	return nil
}
