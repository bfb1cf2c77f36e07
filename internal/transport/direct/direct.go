// Package direct reaches a server from this process: the smart-HTTP
// receive-pack client of internal/sendpack lists it with the token up
// front and pushes the commands and a pack that every server
// advertising the same tips shares (Packs). It is one of the three
// transport.Conn implementations; transport.Choose says when it is used.
package direct

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// Config is what a Conn needs from the session, passed in.
type Config struct {
	Client *sendpack.Client
	URL    string
	// Git runs git children in the local repository (pack-objects,
	// merge-base), without a terminal.
	Git gitexec.Runner
	// GitDir is the local repository, where packs are made.
	GitDir string
	// ListLimit bounds the listing.
	ListLimit time.Duration
	// Packs are the fan-out's shared packs; nil: the push makes its own.
	Packs *Packs
	// Explain gives err at url its hint (gitexec.ExplainAs with the
	// account known there).
	Explain func(ctx context.Context, err error, url string) error
	// P says messages in the user's language.
	P *i18n.Printer
	// Stderr is the user's terminal, where the origin's push is shown as
	// git's transport shows it: the upload's progress when git asked for
	// it, the server's messages as "remote: " lines as they arrive, its
	// error unpacking the pack. Terminal: it understands escapes; Color
	// says whether git colours the server's words there.
	Stderr   io.Writer
	Terminal bool
	Color    func(ctx context.Context) bool
	// Clean cleans the server's words (nil: as they are).
	Clean func(string) string
}

// Conn is a server listed and pushed to by this process.
type Conn struct {
	cfg   Config
	adv   *sendpack.Advertisement
	err   error
	tried bool
}

// New is the Conn of cfg's server; nothing is sent yet.
func New(cfg Config) *Conn { return &Conn{cfg: cfg} }

// Way is transport.Direct.
func (c *Conn) Way() transport.Way { return transport.Direct }

// Close does nothing: each request stands alone.
func (c *Conn) Close() {}

// List asks the server for its refs (receive-pack's advertisement), once.
func (c *Conn) List(ctx context.Context) (*refs.Listing, error) {
	if c.tried {
		return c.listing(), c.err
	}
	c.tried = true
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ListLimit)
	defer cancel()
	adv, err := c.cfg.Client.Advertise(ctx)
	if err != nil {
		c.err = i18n.Errorf("listing %s: %w", c.cfg.URL, err)
		return nil, c.err
	}
	c.adv = adv
	return &adv.Listing, nil
}

// listing is the refs listed, nil before a listing that worked.
func (c *Conn) listing() *refs.Listing {
	if c.adv == nil {
		return nil
	}
	return &c.adv.Listing
}

// Listing is how the listing went, for transport.Choose.
func (c *Conn) Listing() transport.Listing {
	var moved *sendpack.RedirectError
	var se *stall.Error
	switch {
	case errors.As(c.err, &moved):
		return transport.Listing{Redirected: true}
	case errors.As(c.err, &se):
		return transport.Listing{Stalled: true}
	case c.err != nil || c.adv == nil:
		return transport.Listing{Failed: true}
	}
	return transport.Listing{ReportStatus: c.adv.Has("report-status"), Atomic: c.adv.Has("atomic"), PushOptions: c.adv.Has("push-options")}
}

// oid is ref's value on the server, "" when it has none.
func (c *Conn) oid(ref string) string { return c.listing().OID(ref) }

// Push sends updates to the server listed, in one request: the
// commands, then the pack. What git's send-pack refuses before sending
// (a lease that does not hold, a non-fast-forward without force, an
// existing tag) is refused here the same way. The origin's push is
// shown as it runs; a mirror's server words are kept in the outcome.
func (c *Conn) Push(ctx context.Context, updates []transport.Update, o transport.PushOptions) transport.Outcome {
	if o.Limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Limit)
		defer cancel()
	}
	if c.err != nil {
		why, hint := c.reason(ctx, c.err)
		return transport.Failed(len(updates), why, hint)
	}
	if !o.Origin {
		return c.pushMirror(ctx, updates, o)
	}
	return c.pushOrigin(ctx, updates, o)
}

// pushOrigin pushes the updates git asked for, with its leases, and
// shows the push as git's transport shows it.
func (c *Conn) pushOrigin(ctx context.Context, updates []transport.Update, o transport.PushOptions) transport.Outcome {
	pre := make([]transport.Status, len(updates))
	todo := make([]transport.Update, len(updates))
	for i, u := range updates {
		todo[i] = u
		l, leased := o.Leases.For(u.Ref)
		switch {
		case !leased:
		case c.oid(u.Ref) != l.Expect:
			pre[i] = transport.Status{Reason: transport.Said("stale info")}
		default:
			todo[i].Force = true // the lease holds: git's transport forces
		}
	}
	stderr := c.cfg.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	show := &shown{said: sendpack.NewDisplay(stderr, c.cfg.Terminal, c.cfg.Clean)}
	show.said.Color = c.cfg.Terminal && c.cfg.Color != nil && c.cfg.Color(ctx)
	if o.Progress && o.Verbosity > 0 {
		show.progress = stderr
	}
	if o.Verbosity > 1 {
		show.verbose = stderr
	}
	r := c.send(ctx, todo, pre, o, show)
	show.said.Close()
	if r.unpack != "" {
		c.cfg.P.Fprintf(stderr, "error: remote unpack failed: %s\n", r.unpack)
	}
	for i, u := range todo {
		if u.Delete() && r.out.Refs[i].UpToDate {
			r.out.Refs[i] = transport.Status{OK: true} // git's transport: deleted, as it asked
		}
		if r.out.Refs[i].OK && u.Force && !u.Delete() {
			r.out.Refs[i].Forced = c.cfg.Git.Rewinds(ctx, c.oid(u.Ref), u.OID)
		}
	}
	return r.out
}

// pushMirror pushes the updates of a mirror, its server's words kept
// for the report.
func (c *Conn) pushMirror(ctx context.Context, updates []transport.Update, o transport.PushOptions) transport.Outcome {
	r := c.send(ctx, updates, nil, o, nil)
	if r.unpack != "" { // git's "error: remote unpack failed: …"
		for i, st := range r.out.Refs {
			if !st.Accepted() {
				r.out.Refs[i].Reason = st.Reason.WithWords("remote unpack failed: " + r.unpack)
			}
		}
	}
	return r.out
}

// sent is what became of one request of updates to a server.
type sent struct {
	out    transport.Outcome
	unpack string // the server's error unpacking the pack, cleaned
}

// shown is how a push is shown while it runs (the origin's, to the
// user, as git's transport shows it); nil keeps the server's words for
// the outcome (a mirror's).
type shown struct {
	said     *sendpack.Display
	progress io.Writer // git's progress meters, when git asked for them
	verbose  io.Writer // git's lines at -v -v
}

// zeroOID is the object name of "nothing" in commands.
func zeroOID(like string) string { return strings.Repeat("0", max(len(like), 40)) }

// send sends updates in one request. A status already set in pre (a
// stale lease) stands and counts as a refusal; show, when set, shows
// the push as it runs.
func (c *Conn) send(ctx context.Context, updates []transport.Update, pre []transport.Status, o transport.PushOptions, show *shown) sent {
	out := sent{out: transport.Outcome{Refs: make([]transport.Status, len(updates))}}
	status := out.out.Refs
	var cmds []sendpack.Command
	var at []int
	var wants []string
	refused := false
	for i, u := range updates {
		old := c.oid(u.Ref)
		switch {
		case pre != nil && !pre[i].Reason.Empty():
			status[i] = pre[i]
			refused = true
			continue
		case u.Delete() && old == "":
			status[i] = transport.Status{UpToDate: true}
			continue
		case u.Delete():
			cmds = append(cmds, sendpack.Command{Old: old, New: zeroOID(old), Ref: u.Ref})
			at = append(at, i)
			continue
		case old == u.OID:
			status[i] = transport.Status{UpToDate: true}
			continue
		case u.OID == "":
			status[i] = transport.Status{Reason: transport.Said("src refspec does not match any")}
			refused = true
			continue
		}
		if old != "" && !u.Force {
			if why := c.needsForce(ctx, u.Ref, old, u.OID); !why.Empty() {
				status[i] = transport.Status{Reason: why}
				refused = true
				continue
			}
		}
		if old == "" {
			old = zeroOID(u.OID)
		}
		cmds = append(cmds, sendpack.Command{Old: old, New: u.OID, Ref: u.Ref})
		at = append(at, i)
		wants = append(wants, u.OID)
	}
	if refused && o.Atomic {
		for _, i := range at {
			status[i] = transport.Status{Reason: transport.Ours(transport.CodeAtomic, pending.ReasonAtomic)}
		}
		cmds = nil
	}
	if len(cmds) == 0 {
		return out
	}
	res, err := c.request(ctx, cmds, wants, o, show)
	if err != nil {
		out.out.Fatal, out.out.Hint = c.reason(ctx, err)
		for _, i := range at {
			status[i] = transport.Status{Reason: out.out.Fatal, Unreported: true}
		}
		return out
	}
	for _, i := range at {
		r, ok := res.Refs[updates[i].Ref]
		switch {
		case ok && r.OK:
			status[i] = transport.Status{OK: true}
		case ok:
			status[i] = transport.Status{Reason: transport.Said(r.Reason)}
		case res.Unpack != "":
			status[i] = transport.Status{Reason: transport.Said("unpacker error")}
		default:
			status[i] = transport.Status{Reason: transport.Said("expecting report")}
		}
	}
	out.out.Said, out.unpack = res.Said, res.Unpack
	return out
}

// reason is why a push or listing failed as a whole with err, and a
// hint when one helps.
func (c *Conn) reason(ctx context.Context, err error) (why transport.Reason, hint string) {
	var se *stall.Error
	if errors.As(err, &se) {
		return transport.Ours(transport.CodeStalled, pending.ReasonStalled(fmt.Sprintf("no data moved for %s; the limit is %s", se.Limit, se.Key))), ""
	}
	if errors.Is(err, sendpack.ErrBroke) {
		return transport.Ours(transport.CodeBroke, pending.ReasonBroke), ""
	}
	var he *gitexec.HintError
	if c.cfg.Explain != nil && errors.As(c.cfg.Explain(ctx, err, c.cfg.URL), &he) {
		hint = he.HintIn(c.cfg.P)
	}
	return transport.Ours(transport.CodeFailed, i18n.M("%v", err)), hint
}

// needsForce is why git's send-pack would refuse to move ref from old to
// new without force: a tag that exists, an old value this repository
// lacks ("fetch first"), one new does not contain; empty when it would
// not.
func (c *Conn) needsForce(ctx context.Context, ref, old, new string) transport.Reason {
	if strings.HasPrefix(ref, "refs/tags/") {
		return transport.Said("already exists")
	}
	ok, err := c.cfg.Git.IsAncestor(ctx, old, new)
	switch {
	case err != nil:
		return transport.Said("fetch first")
	case !ok:
		return transport.NonFastForward()
	}
	return transport.Reason{}
}

// request sends cmds with the pack for wants (none when every command
// deletes), shown as show says.
func (c *Conn) request(ctx context.Context, cmds []sendpack.Command, wants []string, o transport.PushOptions, show *shown) (*sendpack.Result, error) {
	so := sendpack.Options{Atomic: o.Atomic, PushOptions: o.PushOptions}
	var progress io.Writer
	if show != nil {
		so.Said, progress, so.Verbose = show.said, show.progress, show.verbose
	}
	if len(wants) == 0 {
		return c.cfg.Client.Push(ctx, c.adv, cmds, nil, 0, so)
	}
	haves := append([]string(nil), c.adv.Haves...)
	for _, r := range c.adv.Refs {
		haves = append(haves, r.OID)
	}
	ps := c.cfg.Packs
	var total *packProgress
	if ps == nil || progress != nil { // the origin's, before any fan-out
		ps = NewPacks(ctx, c.cfg.Git, c.cfg.GitDir)
		if progress != nil {
			total = newPackProgress(progress, c.cfg.P)
			ps.progress = total
		}
		defer ps.Close()
	}
	pk, err := ps.get(ctx, wants, haves, c.adv.Has("ofs-delta"))
	if err != nil {
		return nil, err
	}
	if total != nil {
		// As git's send-pack, which runs pack-objects into the
		// request: its meter while the pack goes, then its "Total".
		so.Progress = &sendpack.Progress{W: progress, Title: c.cfg.P.Sprintf("Writing objects"), Done: c.cfg.P.Sprintf("done"), After: total.held()}
	}
	f, err := os.Open(pk.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return c.cfg.Client.Push(ctx, c.adv, cmds, bufio.NewReaderSize(f, 1<<16), pk.size, so)
}
