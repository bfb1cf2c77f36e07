// Package relay reaches a server through git's own http helper, `git
// remote-http(s)`, kept for the session: it lists the server's refs for
// a push and later receives the push batch, in one transport session.
// The server is then asked for its refs once, and refuses the first
// request without credentials once, exactly as with a plain `git push`:
// git's http helper keeps the credential it got from the session's
// callback after that first refusal. It is one of the three
// transport.Conn implementations; transport.Choose says when it is used.
package relay

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// Config is what a Conn needs from the session, passed in.
type Config struct {
	// Git runs the child: the server's own runner, its environment
	// carrying the session's credential callback and GIT_DIR.
	Git gitexec.Runner
	// Remote is the remote's name for the child (git's, else the URL);
	// Scheme and URL the server's.
	Remote, Scheme, URL string
	// Redact cleans what the child writes.
	Redact *redact.Redactor
	// Options are set before the listing (progress, verbosity, family).
	Options []protocol.ClientOption
	// ListLimit bounds the options' answer and the listing.
	ListLimit time.Duration
	// Started, when set, gets the child's process id once it runs.
	Started func(pid int)
	// Up, when set, runs once the child has answered the options.
	Up func()
	// Show: after the listing the user sees the child's progress and
	// the server's messages on Stderr, as with a plain push (the
	// origin's); else they are kept for the outcome (a mirror's).
	Show   bool
	Stderr io.Writer
	// Explain gives err at url its hint (gitexec.ExplainAs with the
	// account known there).
	Explain func(ctx context.Context, err error, url string) error
	// Rewinds reports whether moving a ref from old to new is not a
	// fast forward (gitexec.Runner.Rewinds in the local repository).
	Rewinds func(ctx context.Context, old, new string) bool
	P       *i18n.Printer
}

// Conn is a server reached through git's http helper.
type Conn struct {
	cfg    Config
	child  *Child
	listed *refs.Listing
	err    error
	tried  bool
	dead   bool // stopped or closed
}

// New is the Conn of cfg's server; the child starts at List.
func New(cfg Config) *Conn { return &Conn{cfg: cfg} }

// Way is transport.Relay.
func (c *Conn) Way() transport.Way { return transport.Relay }

// List starts git's http helper, gives it the options and asks it for
// the refs, within the listing limit; on failure the child is stopped.
func (c *Conn) List(ctx context.Context) (*refs.Listing, error) {
	if c.tried {
		return c.listed, c.err
	}
	c.tried = true
	c.listed, c.err = c.list(ctx)
	if c.err != nil {
		c.dead = true
	}
	return c.listed, c.err
}

func (c *Conn) list(ctx context.Context) (*refs.Listing, error) {
	child, err := Start(ctx, c.cfg.Git, c.cfg.Remote, c.cfg.Scheme, c.cfg.URL, c.cfg.Redact)
	if err != nil {
		return nil, err
	}
	c.child = child
	if c.cfg.Started != nil {
		c.cfg.Started(child.Cmd.Process.Pid)
	}
	cl := child.Client()
	_, err = WithLimit(ctx, c.cfg.ListLimit, func() ([]protocol.OptionReply, error) { return cl.Options(c.cfg.Options...) })
	var listed []protocol.Listed
	if err == nil {
		if c.cfg.Up != nil {
			c.cfg.Up()
		}
		listed, err = WithLimit(ctx, c.cfg.ListLimit, cl.ListForPush)
	}
	if err != nil {
		child.Abandon()
		// The child's own words, else ours; a limit that passed stays
		// known as a stall.
		why := error(saying{strings.TrimSpace(child.Stderr.String()), err})
		if why.Error() == "" {
			why = err
		}
		if c.cfg.Explain != nil {
			why = c.cfg.Explain(ctx, why, c.cfg.URL)
		}
		return nil, i18n.Errorf("listing %s: %w", c.cfg.URL, why)
	}
	l, err := refs.FromHelperList(listed)
	if err != nil {
		child.Abandon()
		return nil, i18n.Errorf("listing %s: %w", c.cfg.URL, err)
	}
	if c.cfg.Show {
		// From here on the user sees the child's progress and the
		// server's messages, as with a plain push.
		child.Stderr.Release(c.cfg.Stderr)
	}
	return l, nil
}

// saying is err told in other words: a child's stderr.
type saying struct {
	text string
	err  error
}

func (e saying) Error() string { return e.text }
func (e saying) Unwrap() error { return e.err }

// oid is ref's value in the listing, "" when the server has none.
func (c *Conn) oid(ref string) string { return c.listed.OID(ref) }

// Push sends updates through the child listed, then ends its session
// (one batch per transport session, as git does). A delete of a ref a
// mirror does not have is already done. A forced update the child does
// not flag (a --force-with-lease that rewound a branch) is found from
// the listing, so the mirrors are forced too.
func (c *Conn) Push(ctx context.Context, updates []transport.Update, o transport.PushOptions) transport.Outcome {
	if !c.tried {
		c.List(ctx) // git's http helper pushes after a listing
	}
	if c.err != nil {
		return transport.Failed(len(updates), transport.ReasonOf(c.err), "")
	}
	defer c.Close()
	if o.Origin {
		return c.pushOrigin(ctx, updates, o)
	}
	out := transport.Outcome{Refs: make([]transport.Status, len(updates))}
	var todo []transport.Update
	var at []int
	for i, u := range updates {
		if u.Delete() && c.oid(u.Ref) == "" {
			out.Refs[i] = transport.Status{UpToDate: true}
			continue
		}
		todo = append(todo, u)
		at = append(at, i)
	}
	if len(todo) == 0 {
		return out
	}
	got, err := c.push(ctx, todo, Options(o), o.Atomic, o.Limit)
	for j, i := range at {
		out.Refs[i] = got[j]
	}
	if err != nil {
		out.Fatal = transport.ReasonOf(err)
		var he *gitexec.HintError
		if c.cfg.Explain != nil && errors.As(c.cfg.Explain(ctx, err, c.cfg.URL), &he) {
			out.Hint = he.HintIn(c.cfg.P)
		}
		return out
	}
	out.Said = c.child.Stderr.Tail()
	return out
}

// pushOrigin pushes the updates git asked for, with its leases.
func (c *Conn) pushOrigin(ctx context.Context, updates []transport.Update, o transport.PushOptions) transport.Outcome {
	status, _ := c.push(ctx, updates, Options(o), o.Atomic, o.Limit)
	for i, u := range updates {
		// Without a lease, git's helper refuses what is not a fast forward.
		if _, leased := o.Leases.For(u.Ref); status[i].OK && leased && !u.Force && !u.Delete() && c.cfg.Rewinds != nil {
			status[i].Forced = c.cfg.Rewinds(ctx, c.oid(u.Ref), u.OID)
		}
	}
	return transport.Outcome{Refs: status}
}

// Options are the options of a push batch, as git gave them, for git's
// http helper: each is set only when the user asked, so a helper that
// lacks one fails only the pushes that need it. The leases, the
// signature and force-if-includes are the origin's.
func Options(o transport.PushOptions) []protocol.ClientOption {
	var opts []protocol.ClientOption
	add := func(name, value string) { opts = append(opts, protocol.ClientOption{Name: name, Value: value}) }
	if o.DryRun {
		add("dry-run", "true")
	}
	if o.Atomic {
		add("atomic", "true")
	}
	for _, po := range o.PushOptions {
		add("push-option", po)
	}
	if !o.Origin {
		return opts
	}
	for _, l := range o.Leases {
		add("cas", l.Text)
	}
	if o.ForceIfIncludes {
		add("force-if-includes", "true")
	}
	if o.Signed != "" {
		add("pushcert", o.Signed)
	}
	return opts
}

// push sends updates with opts, ends the child's session, and returns a
// status per update, in order. A child that fails or outlives limit or
// ctx fails every ref it did not report, with its own last words as the
// reason; err then says the push failed as a whole.
func (c *Conn) push(ctx context.Context, updates []transport.Update, opts []protocol.ClientOption, atomic bool, limit time.Duration) (_ []transport.Status, err error) {
	got, err := WithLimit(ctx, limit, func() ([]protocol.PushStatus, error) {
		cl := c.child.Client()
		replies, err := cl.Options(opts...)
		if err != nil {
			return nil, err
		}
		for i, rep := range replies {
			if !rep.OK {
				return nil, i18n.Errorf("git remote-%s does not support option %s", c.cfg.Scheme, opts[i].Name)
			}
		}
		refs := make([]protocol.PushRef, len(updates))
		for i, u := range updates {
			refs[i] = protocol.PushRef{Src: u.Source(), Dst: u.Ref, Force: u.Force}
		}
		return cl.Push(refs)
	})
	if err == nil {
		// One batch per transport session, as git does. Once the child
		// has exited, all it wrote to stderr has been read.
		c.Close()
		if c.child.Stderr.Broke() {
			// git's http helper ends its report normally when the
			// connection broke mid-push; it said so on stderr only.
			err = errors.New(pending.ReasonBroke.String())
		}
	}
	if err != nil && !c.dead {
		c.child.Abandon()
		c.dead = true
	}
	byRef := map[string]protocol.PushStatus{}
	for _, st := range got {
		byRef[st.Ref] = st
	}
	out := make([]transport.Status, len(updates))
	for i, u := range updates {
		st, ok := byRef[u.Ref]
		switch {
		case ok:
			st.Msg = c.cfg.Redact.Clean(st.Msg) // the server's words: hostile
			out[i] = relayStatus(st)
		case err != nil:
			out[i] = transport.Status{Reason: c.failure(err), Unreported: true}
		case atomic:
			out[i] = transport.Status{Reason: transport.Ours(transport.CodeAtomic, pending.ReasonAtomic)}
		default:
			out[i] = transport.Status{Reason: transport.Said("expecting report")}
		}
	}
	if err != nil {
		err = transport.ReasonError{Reason: c.failure(err)}
	}
	return out, err
}

// relayStatus is the status git's http helper gave, already in the words
// of the helper protocol.
func relayStatus(st protocol.PushStatus) transport.Status {
	switch {
	case st.OK && st.Msg == "up to date":
		return transport.Status{UpToDate: true}
	case st.OK:
		return transport.Status{OK: true, Forced: st.Msg == "forced update"}
	case st.Msg == "":
		return transport.Status{Reason: transport.Said("rejected")}
	case st.Msg == "non-fast forward":
		return transport.Status{Reason: transport.NonFastForward()}
	}
	return transport.Status{Reason: transport.Said(st.Msg)}
}

// failure is the short reason of a child that failed mid-push: the last
// "fatal:" or "error:" line it wrote, else err.
func (c *Conn) failure(err error) transport.Reason {
	lines := strings.Split(strings.TrimSpace(c.child.Stderr.Tail()), "\n")
	for _, l := range lines {
		if why, ok := gitexec.StallReason(l); ok {
			return transport.ReadBack(why) // ours, in English
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		for _, p := range []string{"fatal: ", "error: "} {
			if rest, ok := strings.CutPrefix(lines[i], p); ok {
				return transport.Said(rest)
			}
		}
	}
	if rb := transport.ReadBack(err.Error()); rb.Code != transport.CodeServer {
		return rb // a connection that broke: ours, in English
	}
	return transport.Ours(transport.CodeFailed, i18n.M("%v", err))
}

// Close ends the child's session: git's http helper exits when its
// input ends.
func (c *Conn) Close() {
	if c.dead || c.child == nil {
		c.dead = true
		return
	}
	c.dead = true
	c.child.In.Close()
	done := make(chan struct{})
	go func() { c.child.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.child.Cmd.Process.Kill()
		<-done
	}
	c.child.OutFile.Close()
}
