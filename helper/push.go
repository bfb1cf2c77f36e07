package helper

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// PushTimeout bounds the push to the primary server (origin, or the first
// mirror with pushOrigin = false). A whole repository over a slow link
// can take long; a hung server must not hang git forever.
const PushTimeout = time.Hour

// reply writes the answer for dst; a reason of ours is in p's language.
func reply(w *protocol.Writer, dst string, st transport.Status, p *i18n.Printer) {
	if st.UpToDate {
		w.PushError(dst, "up to date") // git maps this to its own "[up to date]"
		return
	}
	if st.OK {
		w.PushOK(dst, st.Forced)
		return
	}
	w.PushError(dst, st.Reason.Localize(p))
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
	status := s.pushPrimaryLFS(ctx, primary, updates)
	s.landedAnyway(ctx, primary, updates, status)
	s.Log.Debug("pushed to primary", "server", primary.Raw, "refs", len(updates), "took", time.Since(start))
	if mirrors := s.fanoutTargets(); len(mirrors) > 0 {
		start = time.Now()
		if s.background() {
			s.pushInBackground(ctx, mirrors, acceptedUpdates(updates, status))
		} else {
			s.fanOut(ctx, mirrors, acceptedUpdates(updates, status), status)
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
type update struct {
	Ref   string // destination ref
	Src   string // what git asked for: a local ref, "HEAD", an object name; "" deletes
	OID   string // Src resolved; "" for a delete or when it could not be resolved
	Force bool
}

func (u update) Delete() bool { return u.Src == "" }

// gitUpdate is the update for the push engine, by object name when known.
func (u update) gitUpdate() gitexec.Update {
	src := u.OID
	if src == "" || u.Delete() {
		src = u.Src
	}
	return gitexec.Update{Dst: u.Ref, Src: src, Force: u.Force}
}

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
	res := map[string]string{}
	if len(names) == 0 {
		return res
	}
	var in bytes.Buffer
	for _, n := range names {
		in.WriteString(n + "\n")
	}
	g := s.child()
	g.Stderr = nil
	ctx, cancel := context.WithTimeout(ctx, ListTimeout)
	defer cancel()
	out, err := g.OutputStdin(ctx, &in, "cat-file", "--batch-check=%(objectname)")
	if err != nil {
		s.Log.Debug("resolving push sources", "err", err)
		return res
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(names) {
		return res
	}
	for i, l := range lines {
		if protocol.IsOID(l) {
			res[names[i]] = l
		}
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

// pushPrimary pushes updates to url with the options git gave us and
// returns a status per update, in order. The child's progress and the
// server's messages go to the user's terminal as they come.
func (s *Session) pushPrimary(ctx context.Context, url string, updates []update) []transport.Status {
	if r := s.relays.primary; r != nil && r.srv.Raw == url {
		return s.relayPrimary(ctx, r, updates)
	}
	if d := s.relays.primaryDirect; d != nil && d.srv.Raw == url {
		s.relays.primaryDirect = nil // one batch per listing, as git does
		if s.pushChosen(d) {
			return s.pushPrimaryDirect(ctx, d, updates)
		}
		return s.primaryThroughGit(ctx, d.srv, updates)
	}
	ctx, cancel := context.WithTimeout(ctx, PushTimeout)
	defer cancel()
	var stderr io.Writer = io.Discard
	if s.Stderr != nil {
		stderr = s.Stderr
	}
	f := &lineFilter{w: stderr, drop: "error: failed to push some refs to "}
	g := s.child()
	g.Stderr = f
	res, _ := g.Push(ctx, s.primaryPush(url, updates))
	f.Flush()
	return s.primaryFailed(url, statuses(res, updates))
}

// primaryPush is the push to the primary server, with what git set with
// "option" before the push batch: its leases ("cas <ref>:<oid>") go to
// the updates of those refs.
func (s *Session) primaryPush(url string, updates []update) gitexec.Push {
	o := s.opts
	p := s.childPush(url, updates)
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

// childPush is the push of updates to url that every server gets: the
// parent git already ran the pre-push hook, expanded push.pushOption,
// followed tags and recursed into submodules, and the push engine makes
// sure no child does it again.
func (s *Session) childPush(url string, updates []update) gitexec.Push {
	p := gitexec.Push{URL: url, DryRun: s.opts.DryRun, Atomic: s.opts.Atomic, Options: s.opts.PushOptions}
	for _, u := range updates {
		p.Updates = append(p.Updates, u.gitUpdate())
	}
	return p
}

// statuses maps the push's report onto updates, in order.
func statuses(res gitexec.PushResult, updates []update) []transport.Status {
	out := make([]transport.Status, len(updates))
	for i, u := range updates {
		out[i] = statusOf(res.Report(u.Ref))
	}
	return out
}

// statusOf translates a porcelain report into the reply git expects from
// a helper: git's own rejection words map back to its statuses, so the
// user sees "! [rejected] main -> main (non-fast-forward)" and git's hints.
func statusOf(r gitexec.RefReport) transport.Status {
	switch {
	case r.UpToDate():
		return transport.Status{UpToDate: true}
	case r.OK():
		return transport.Status{OK: true, Forced: r.Forced()}
	}
	switch r.Summary {
	case "[no match]":
		return transport.Status{Reason: transport.Said("no match")}
	case "[remote failure]":
		return transport.Status{Reason: transport.Said("expecting report")}
	case "[rejected]":
		if r.Reason == "non-fast-forward" {
			return transport.Status{Reason: transport.Said("non-fast forward")} // the helper protocol's spelling
		}
	}
	if r.Unreported() {
		return transport.Status{Reason: transport.ReadBack(r.Reason), Unreported: true}
	}
	if r.Reason == "" {
		return transport.Status{Reason: transport.Said(strings.Trim(r.Summary, "[]"))}
	}
	return transport.Status{Reason: transport.Said(r.Reason)}
}

// lineFilter passes a child's stderr through line by line (a progress
// line ends in '\r') and drops lines starting with drop.
type lineFilter struct {
	w    io.Writer
	drop string
	buf  []byte
}

func (f *lineFilter) Write(p []byte) (int, error) {
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexAny(f.buf, "\r\n")
		if i < 0 {
			return len(p), nil
		}
		f.emit(f.buf[:i+1])
		f.buf = f.buf[i+1:]
	}
}

// Flush writes what is left after the child exits.
func (f *lineFilter) Flush() {
	if len(f.buf) > 0 {
		f.emit(f.buf)
		f.buf = nil
	}
}

func (f *lineFilter) emit(line []byte) {
	text := strings.TrimRight(string(line), "\r\n")
	if f.drop != "" && strings.HasPrefix(text, f.drop) {
		return
	}
	f.w.Write(line)
}
