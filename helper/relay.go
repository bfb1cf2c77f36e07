package helper

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// pushRelay is git's own http helper kept for one server for the whole
// session: it lists the server's refs for push and later receives the
// push batch, in one transport session. The server is then asked for
// its refs once, and refuses the first request without credentials
// once, exactly as with a plain `git push`: git's http helper keeps
// the credential it got from our callback after that first refusal.
type pushRelay struct {
	*helperChild
	srv     federation.Endpoint
	listing *Listing
	dead    bool // stopped or closed
}

// startPushRelay starts git's http helper for srv, gives it the options
// git set (progress, verbosity, address family) and asks it for the
// refs, within the federation's listing limit. The child's stderr stays
// held back: the caller releases it to the user (the primary) or keeps
// it for a report (a mirror).
func (s *Session) startPushRelay(ctx context.Context, srv federation.Endpoint, opts []protocol.ClientOption) (*pushRelay, error) {
	c, err := s.startHelperChild(ctx, srv)
	if err != nil {
		return nil, err
	}
	return s.listRelay(ctx, c, srv, opts, nil)
}

// listRelay gives the started child c the options and asks it for srv's
// refs; on failure the child is stopped. up, when set, runs once the
// child has answered the options: it is up and running.
func (s *Session) listRelay(ctx context.Context, c *helperChild, srv federation.Endpoint, opts []protocol.ClientOption, up func()) (*pushRelay, error) {
	r := &pushRelay{helperChild: c, srv: srv}
	cl := c.client()
	_, err := withLimit(ctx, s.listLimitOf(srv), func() ([]protocol.OptionReply, error) { return cl.Options(opts...) })
	var listed []protocol.Listed
	if err == nil {
		if up != nil {
			up()
		}
		listed, err = withLimit(ctx, s.listLimitOf(srv), cl.ListForPush)
	}
	if err != nil {
		c.abandon()
		// The child's own words, else ours; a limit that passed stays
		// known as a stall.
		why := error(saying{strings.TrimSpace(c.stderr.String()), err})
		if why.Error() == "" {
			why = err
		}
		return nil, i18n.Errorf("listing %s: %w", srv.Raw, s.explain(ctx, why, srv.Raw))
	}
	r.listing = listingOf(srv, listed)
	return r, nil
}

// saying is err told in other words: a child's stderr.
type saying struct {
	text string
	err  error
}

func (e saying) Error() string { return e.text }
func (e saying) Unwrap() error { return e.err }

// listingOf is the Listing of srv's refs as a server listed them for a
// push: git's http helper's "list for-push" answer, or this process's
// advertisement (advertised). Every push listing is made here.
func listingOf(srv federation.Endpoint, listed []protocol.Listed) *Listing {
	l := &Listing{Server: srv, Peeled: map[string]string{}, Symrefs: map[string]string{}}
	for _, e := range listed {
		switch {
		case e.Attr != "":
		case e.Target != "":
			l.Symrefs[e.Name] = e.Target
			l.Refs = append(l.Refs, Ref{Name: e.Name})
		case e.OID != "":
			l.Refs = append(l.Refs, Ref{Name: e.Name, OID: e.OID})
		}
	}
	return l
}

// advertised is a receive-pack advertisement's refs in the form of a
// "list for-push" answer, for listingOf.
func advertised(adv *sendpack.Advertisement) []protocol.Listed {
	out := make([]protocol.Listed, len(adv.Refs))
	for i, r := range adv.Refs {
		out[i] = protocol.Listed{Name: r.Name, OID: r.OID}
	}
	return out
}

// pushOptions are the options of this push batch, as git gave them to
// us, for git's http helper: each is set only when the user asked, so a
// helper that lacks one fails only the pushes that need it.
func (s *Session) pushOptions(withLeases bool) []protocol.ClientOption {
	var opts []protocol.ClientOption
	add := func(name, value string) { opts = append(opts, protocol.ClientOption{Name: name, Value: value}) }
	o := s.opts
	if o.DryRun {
		add("dry-run", "true")
	}
	if o.Atomic {
		add("atomic", "true")
	}
	for _, po := range o.PushOptions {
		add("push-option", po)
	}
	if !withLeases {
		return opts // the leases, the signature and force-if-includes are for the primary
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
// status per update, in order. A child that fails or outlives limit or ctx fails every ref it
// did not report, with its own last words as the reason; err then says
// the push failed as a whole.
func (r *pushRelay) push(ctx context.Context, updates []update, opts []protocol.ClientOption, atomic bool, limit time.Duration) (_ []transport.Status, err error) {
	got, err := withLimit(ctx, limit, func() ([]protocol.PushStatus, error) {
		cl := r.client()
		replies, err := cl.Options(opts...)
		if err != nil {
			return nil, err
		}
		for i, rep := range replies {
			if !rep.OK {
				return nil, i18n.Errorf("git remote-%s does not support option %s", r.srv.Protocol, opts[i].Name)
			}
		}
		refs := make([]protocol.PushRef, len(updates))
		for i, u := range updates {
			g := u.gitUpdate()
			refs[i] = protocol.PushRef{Src: g.Src, Dst: g.Dst, Force: g.Force}
		}
		return cl.Push(refs)
	})
	if err == nil {
		// One batch per transport session, as git does. Once the child
		// has exited, all it wrote to stderr has been read.
		r.close()
		if r.stderr.broke() {
			// git's http helper ends its report normally when the
			// connection broke mid-push; it said so on stderr only.
			err = errors.New(pending.ReasonBroke.String())
		}
	}
	if err != nil && !r.dead {
		r.abandon()
		r.dead = true
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
			out[i] = relayStatus(st)
			out[i].Reason = transport.Said(r.stderr.clean.Clean(out[i].Reason.String())) // the server's words: hostile
		case err != nil:
			out[i] = transport.Status{Reason: r.failure(err), Unreported: true}
		case atomic:
			out[i] = transport.Status{Reason: transport.Ours(transport.CodeAtomic, pending.ReasonAtomic)}
		default:
			out[i] = transport.Status{Reason: transport.Said("expecting report")}
		}
	}
	if err != nil {
		err = transport.ReasonError{Reason: r.failure(err)}
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
	}
	return transport.Status{Reason: transport.Said(st.Msg)}
}

// failure is the short reason of a child that failed mid-push: the last
// "fatal:" or "error:" line it wrote, else err.
func (r *pushRelay) failure(err error) transport.Reason {
	lines := strings.Split(strings.TrimSpace(r.stderr.Tail()), "\n")
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

// close ends the child's session: git's http helper exits when its
// input ends.
func (r *pushRelay) close() {
	if r.dead {
		return
	}
	r.dead = true
	r.in.Close()
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
		<-done
	}
	r.outFile.Close()
}

// relays are the push relays of a session: the primary's, and one per
// http(s) mirror, started when git lists the primary so that each
// mirror's ref discovery (and its refused first request) overlaps the
// primary's push.
type relays struct {
	primary *pushRelay
	// primaryDirect is the primary listed by this process instead.
	primaryDirect *directMirror
	mirrors       map[string]*mirrorRelay // by mirror URL
}

// mirrorRelay is a mirror's relay being started.
type mirrorRelay struct {
	ready  chan struct{} // closed when relay, direct or err is set
	relay  *pushRelay
	direct *directMirror // listed by this process (sendpack.go)
	viaUs  bool          // listed, or tried, by this process
	err    error
	cancel context.CancelFunc
}

// close ends every relay still running.
func (rs *relays) close() {
	rs.primaryDirect = nil
	if rs.primary != nil {
		rs.primary.close()
		rs.primary = nil
	}
	for _, m := range rs.mirrors {
		m.cancel() // a mirror still listing is stopped, not waited for
		<-m.ready
		if m.relay != nil {
			m.relay.close()
		}
	}
	rs.mirrors = nil
}

// startMirrors starts listing every http(s) mirror of targets in the
// background.
func (s *Session) startMirrors(ctx context.Context, targets []federation.Endpoint) {
	opts := []protocol.ClientOption{{Name: "progress", Value: "false"}}
	if s.opts.Family != "" {
		opts = append(opts, protocol.ClientOption{Name: "family", Value: s.opts.Family})
	}
	s.relays.mirrors = map[string]*mirrorRelay{}
	for _, m := range targets {
		mctx, cancel := context.WithCancel(ctx)
		mr := &mirrorRelay{ready: make(chan struct{}), cancel: cancel}
		s.relays.mirrors[m.Raw] = mr
		go func() {
			defer close(mr.ready)
			d, ch, err := s.listChosen(mctx, m, false, false)
			switch ch.Way {
			case transport.Child:
				return // pushed by a child git push
			case transport.Direct:
				mr.viaUs = true
				mr.direct, mr.err = d, err
				return
			}
			c, err := s.startHelperChild(mctx, m)
			if err != nil {
				mr.err = err
				return
			}
			yieldCPU(c.cmd.Process.Pid)
			mr.relay, mr.err = s.listRelay(mctx, c, m, opts, nil)
		}()
	}
}

// mirror is the listing of mirror url, once done, waiting for it until
// ctx is done; nil when there is none.
func (rs *relays) mirror(ctx context.Context, url string) *mirrorRelay {
	m := rs.mirrors[url]
	if m == nil {
		return nil
	}
	select {
	case <-m.ready:
	case <-ctx.Done():
		return nil
	}
	return m
}

// listForPush lists the primary server for a push. An http(s) primary is
// listed by the relay that will receive the push; ssh, git:// and local
// servers by `git ls-remote`, and pushed to by `git push`. The mirrors'
// children start once the primary's is up: their listings have until
// the primary's verdict, and on a small machine four children starting
// at once would hold back the primary's first request.
func (s *Session) listForPush(ctx context.Context) (*Listing, error) {
	s.relays.close()
	startMirrors := func() {}
	if s.Fed.MirrorPush != federation.MirrorPushBackground || s.Fed.RequireMirrors {
		startMirrors = func() { s.startMirrors(ctx, s.fanoutTargets()) }
	}
	primary := s.pushTarget()
	d, ch, err := s.listChosen(ctx, primary, true, false)
	switch ch.Way {
	case transport.Child:
		startMirrors()
		return s.LsRemote(ctx, primary)
	case transport.Direct:
		if err != nil {
			return nil, err
		}
		startMirrors()
		s.relays.primaryDirect = d
		return d.listing, nil
	}
	c, err := s.startHelperChild(ctx, primary)
	if err != nil {
		return nil, err
	}
	r, err := s.listRelay(ctx, c, primary, s.childOptions(), startMirrors)
	if err != nil {
		return nil, err
	}
	// From here on the user sees the child's progress and the server's
	// messages, as with a plain push.
	r.stderr.release(s.Stderr)
	s.relays.primary = r
	return r.listing, nil
}

// relayPrimary pushes updates through the primary's relay. A forced
// update the child does not flag (a --force-with-lease that rewound a
// branch) is found from the listing, so the mirrors are forced too.
func (s *Session) relayPrimary(ctx context.Context, r *pushRelay, updates []update) []transport.Status {
	status, _ := r.push(ctx, updates, s.pushOptions(true), s.opts.Atomic, PushTimeout)
	status = s.primaryFailed(r.srv.Raw, status)
	s.relays.primary = nil // one batch per transport session, as git does
	r.close()
	for i, u := range updates {
		// Without a lease, git's helper refuses what is not a fast forward.
		if _, leased := s.opts.Leases.For(u.Ref); status[i].OK && leased && !u.Force && !u.Delete() {
			status[i].Forced = s.rewinds(ctx, r.listing.OID(u.Ref), u.OID)
		}
	}
	return status
}

// rewinds reports whether moving a ref from old to new is not a fast
// forward (new does not contain old). Unknown objects count as a rewind:
// forcing a mirror to what the primary took is the safe side.
func (s *Session) rewinds(ctx context.Context, old, new string) bool {
	if old == "" || new == "" || old == new {
		return false
	}
	g := s.child()
	g.Stderr = nil
	ctx, cancel := context.WithTimeout(ctx, ListTimeout)
	defer cancel()
	ok, err := g.IsAncestor(ctx, old, new)
	return err != nil || !ok
}

// relayMirror pushes plan p through the mirror's relay, which has
// already listed the mirror: after the primary's verdict this costs the
// mirror one request. A delete of a ref the mirror does not have is
// already done.
func (s *Session) relayMirror(ctx context.Context, r *pushRelay, p mirrorPlan) mirrorOutcome {
	defer r.close()
	out := mirrorOutcome{Plan: p}
	status := make([]transport.Status, len(p.Updates))
	var todo []update
	var at []int
	for i, u := range p.Updates {
		if u.Delete() && r.listing.OID(u.Ref) == "" {
			status[i] = transport.Status{UpToDate: true}
			continue
		}
		todo = append(todo, u.update)
		at = append(at, i)
	}
	if len(todo) > 0 {
		got, err := r.push(ctx, todo, s.pushOptions(false), s.opts.Atomic, MirrorPushTimeout)
		for j, i := range at {
			status[i] = got[j]
		}
		if err != nil {
			out.Fatal = transport.ReasonOf(err)
			var he *gitexec.HintError
			if errors.As(s.explain(ctx, err, p.Mirror.Raw), &he) {
				out.Hint = he.HintIn(s.P)
			}
		}
	}
	for i, u := range p.Updates {
		ref := mirrorRef{indexedUpdate: u, OK: status[i].Accepted()}
		if !ref.OK {
			ref.Reason = porcelainWords(status[i].Reason)
		}
		out.Refs = append(out.Refs, ref)
	}
	if out.Fatal.Empty() {
		withServerWords(out.Refs, r.stderr.Tail())
	}
	return out
}

// porcelainWords spells a helper-protocol reason the way git push
// reports it, as the mirror reports do.
func porcelainWords(r transport.Reason) transport.Reason {
	if r.String() == "non-fast forward" {
		return transport.Said("non-fast-forward")
	}
	return r
}
