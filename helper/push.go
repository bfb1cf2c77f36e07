package helper

import (
	"context"
	"os"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// PushTimeout bounds the push to the primary server (origin, or the first
// mirror with pushOrigin = false). A whole repository over a slow link
// can take long; a hung server must not hang git forever.
const PushTimeout = time.Hour

// reply writes the answer for dst in the helper protocol's words; a
// reason of ours is in p's language.
func reply(w *protocol.Writer, dst string, st transport.Status, p *i18n.Printer) {
	if st.UpToDate {
		w.PushError(dst, "up to date") // git maps this to its own "[up to date]"
		return
	}
	if st.OK {
		w.PushOK(dst, st.Forced)
		return
	}
	w.PushError(dst, st.Reason.Reply(p))
}

// push answers one push batch: one `git push` to the primary server, then
// the refs it accepted (and what is queued from earlier pushes) to every
// other server in parallel. It replies one line per ref, in request
// order, so git prints its own report and hints.
func (s *Session) push(ctx context.Context, p protocol.Push, w *protocol.Writer) error {
	if err := s.opts.BadLease; err != nil {
		// git ignores the option's error and pushes: refused here, as
		// git's send-pack refuses the whole push.
		for _, r := range p.Refs {
			w.PushError(r.Dst, s.P.Error(err))
		}
		return w.End()
	}
	start := time.Now()
	updates := s.resolveUpdates(ctx, p.Refs)
	primary := s.pushTarget()
	ahead := s.queueAhead(ctx, updates)
	status := s.pushPrimaryLFS(ctx, primary, updates)
	s.landedAnyway(ctx, primary, updates, status)
	s.dropAhead(ctx, ahead, updates, status)
	s.Log.Debug("pushed to primary", "server", primary.Raw, "refs", len(updates), "took", time.Since(start))
	if mirrors := s.fanoutTargets(); len(mirrors) > 0 {
		start = time.Now()
		if s.background() {
			s.pushInBackground(ctx, mirrors, acceptedUpdates(updates, status, s.before()))
		} else {
			s.fanOut(ctx, mirrors, acceptedUpdates(updates, status, s.before()), status)
		}
		s.Log.Debug("fanned out", "mirrors", len(mirrors), "took", time.Since(start))
	}
	for i, r := range p.Refs {
		reply(w, r.Dst, status[i], s.P)
	}
	return w.End()
}

// update is one ref update with its source resolved to an object name, so
// the primary and every mirror get exactly the same value even if a local
// ref moves while the push runs.
type update = transport.Update

// resolveUpdates turns git's push lines into updates, resolving every
// source in one `git cat-file --batch-check`. A source that cannot be
// resolved is kept by name; the child git then reports it in its own words.
func (s *Session) resolveUpdates(ctx context.Context, refs []protocol.PushRef) []update {
	out := make([]update, len(refs))
	var names []string
	for i, r := range refs {
		out[i] = update{Ref: r.Dst, Src: r.Src, Force: r.Force}
		if !r.Delete() {
			names = append(names, r.Src)
		}
	}
	oids := s.objectNames(ctx, names)
	for i := range out {
		if !out[i].Delete() {
			out[i].OID = oids[out[i].Src]
		}
	}
	return out
}

// objectNames resolves names (refs, "HEAD", object names) in the local
// repository. Names that do not resolve are missing from the result.
func (s *Session) objectNames(ctx context.Context, names []string) map[string]string {
	g := s.child()
	g.Stderr = nil
	ctx, cancel := context.WithTimeout(ctx, ListTimeout)
	defer cancel()
	res, err := g.ObjectNames(ctx, names)
	if err != nil {
		s.Log.Debug("resolving push sources", "err", err)
	}
	return res
}

// child is the runner for child git processes: in $GIT_DIR, with the
// credential callback the session's runner already carries.
func (s *Session) child() gitexec.Runner {
	g := s.Git
	if s.GitDir != "" {
		g.Dir = s.GitDir
		env := g.Env
		if env == nil {
			env = os.Environ()
		}
		// os/exec keeps the last value of a repeated variable.
		g.Env = append(append([]string(nil), env...), "GIT_DIR="+s.GitDir)
	}
	return g
}

// originOptions are the options of the push git asked for, for the
// server pushed to first.
func (s *Session) originOptions() transport.PushOptions {
	o := s.opts
	return transport.PushOptions{DryRun: o.DryRun, Atomic: o.Atomic, PushOptions: o.PushOptions, Origin: true,
		Leases: o.Leases, ForceIfIncludes: o.ForceIfIncludes, Signed: o.Signed,
		Progress: o.Progress, Verbosity: o.Verbosity, Limit: PushTimeout}
}

// mirrorOptions are the options a mirror's push carries: the leases, the
// signature and force-if-includes are the origin's.
func (s *Session) mirrorOptions() transport.PushOptions {
	o := s.opts
	return transport.PushOptions{DryRun: o.DryRun, Atomic: o.Atomic, PushOptions: o.PushOptions, Limit: MirrorPushTimeout}
}

// listForPush lists the server pushed to first for a push, the way
// reach picks. The mirrors start listing once it answers: their
// listings have until its verdict, and on a small machine four children
// starting at once would hold back its first request.
func (s *Session) listForPush(ctx context.Context) (*serverRefs, error) {
	s.closeConns()
	s.packs = s.newPacks(ctx) // the mirrors listed by this process share them
	startMirrors := func() {}
	if s.Fed.MirrorPush != federation.MirrorPushBackground || s.Fed.RequireMirrors {
		startMirrors = func() { s.startMirrors(ctx, s.fanoutTargets()) }
	}
	primary := s.pushTarget()
	r := &reached{}
	s.reach(ctx, r, primary, true, false, startMirrors)
	if r.err != nil {
		r.conn.Close()
		return nil, r.err
	}
	s.conns[primary.Raw] = r
	return r.listing, nil
}

// startMirrors starts reaching every mirror of targets in the
// background, so that each mirror's ref discovery (and its refused first
// request) overlaps the primary's push.
func (s *Session) startMirrors(ctx context.Context, targets []federation.Endpoint) {
	for _, m := range targets {
		mctx, cancel := context.WithCancel(ctx)
		r := &reached{ready: make(chan struct{}), cancel: cancel, packs: s.packs}
		s.conns[m.Raw] = r
		go func() {
			defer close(r.ready)
			s.reach(mctx, r, m, false, false, nil)
		}()
	}
}

// closeConns ends every connection of the session still open.
func (s *Session) closeConns() {
	for _, r := range s.conns {
		if r.cancel != nil {
			r.cancel() // a mirror still listing is stopped, not waited for
		}
		if r.ready != nil {
			<-r.ready
		}
		if r.conn != nil {
			r.conn.Close()
		}
	}
	s.conns = map[string]*reached{}
}

// pushPrimary pushes updates to url through the connection its listing
// opened (one batch per listing, as git does) and returns a status per
// update, in order. The user sees what git's transport shows.
func (s *Session) pushPrimary(ctx context.Context, url string, updates []update) []transport.Status {
	var c transport.Conn
	if r := s.conns[url]; r != nil && r.ready == nil {
		delete(s.conns, url)
		c = s.forPush(ctx, r)
		defer r.conn.Close()
	} else { // not listed for this push: a child git
		c = s.open(s.pushTarget(), transport.Child, true, nil)
	}
	defer c.Close()
	out := c.Push(ctx, updates, s.originOptions())
	if !out.Fatal.Empty() && out.Hint != "" {
		s.P.Fprintf(s.Stderr, "federate: %s: hint: %s\n", s.named(url).Localize(s.P), out.Hint)
	}
	return s.primaryFailed(url, out.Refs)
}
