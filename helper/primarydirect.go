package helper

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
)

// The primary server, when it qualifies as a mirror does (directClient),
// is listed by this process with the token up front (one request) and
// pushed to in one more: two requests where git's transport makes
// three. git sends the push's options (dry-run, atomic, push options,
// leases, a signature) only after the listing; a push that needs
// something only git's transport does (a signed push, a dry run,
// force-if-includes, an option the server did not announce) starts
// git's http helper then, which lists the server again and pushes.

// listPrimaryDirect lists primary from this process; nil when it does
// not qualify or the listing failed: git's transport then lists it, and
// says what went wrong in its own words. A server that stopped
// answering is the error: git's transport would wait as long again.
func (s *Session) listPrimaryDirect(ctx context.Context, primary federation.Endpoint) (*directMirror, error) {
	c := s.directClient(ctx, primary)
	if c == nil {
		return nil, nil
	}
	d, err := s.listDirect(ctx, c, primary)
	if se := (*stall.Error)(nil); errors.As(err, &se) {
		return nil, err
	}
	if err != nil {
		s.Log.Debug("primary through git's transport: listing", "server", primary.Raw, "err", err)
		return nil, nil
	}
	return d, nil
}

// listingOfAdvert is the Listing of a receive-pack advertisement.
func listingOfAdvert(srv federation.Endpoint, adv *sendpack.Advertisement) *Listing {
	l := &Listing{Server: srv, Peeled: map[string]string{}, Symrefs: map[string]string{}}
	for _, r := range adv.Refs {
		l.Refs = append(l.Refs, Ref{Name: r.Name, OID: r.OID})
	}
	return l
}

// directLeases are the leases git set ("cas <ref>:<expected>"), the
// expected value by ref ("" for the zero name: the ref must not exist);
// ok is false when one has no expected value.
func (s *Session) directLeases() (leases map[string]string, ok bool) {
	leases = map[string]string{}
	for _, c := range s.opts.CAS {
		ref, oid, found := strings.Cut(c, ":")
		if !found {
			return nil, false
		}
		if strings.Trim(oid, "0") == "" {
			oid = ""
		}
		leases[ref] = oid
	}
	return leases, true
}

// primaryFits reports whether the push can go to the primary d listed
// from this process: what a mirror needs, and no signature or
// force-if-includes, which only git's transport does.
func (s *Session) primaryFits(d *directMirror) bool {
	_, ok := s.directLeases()
	return ok && s.directFits(d) && s.opts.Signed == "" && !s.opts.ForceIfIncludes
}

// pushPrimaryDirect pushes updates to the primary d listed, from this
// process, and returns a status per update, in order, in the words of
// the helper protocol: a lease that does not hold is "stale info", a
// refusal before sending is worded as git's transport words it. The
// user sees what git's transport shows: the upload's progress when git
// asked for it, the server's messages as "remote: " lines as they
// arrive, and its error unpacking the pack.
func (s *Session) pushPrimaryDirect(ctx context.Context, d *directMirror, updates []update) []refStatus {
	ctx, cancel := context.WithTimeout(ctx, PushTimeout)
	defer cancel()
	leases, _ := s.directLeases()
	pre := make([]refStatus, len(updates))
	todo := make([]update, len(updates))
	for i, u := range updates {
		todo[i] = u
		want, leased := leases[u.Ref]
		switch {
		case !leased:
		case d.adv.OID(u.Ref) != want:
			pre[i] = refStatus{Reason: said("stale info")}
		default:
			todo[i].Force = true // the lease holds: git's transport forces
		}
	}
	var stderr io.Writer = io.Discard
	if s.Stderr != nil {
		stderr = s.Stderr
	}
	terminal := s.stderrTerminal()
	show := &shown{said: sendpack.NewDisplay(stderr, terminal, s.Git.Redact.Clean)}
	show.said.Color = terminal && s.remoteColor(ctx)
	if s.opts.Progress && s.opts.Verbosity > 0 {
		show.progress = stderr
	}
	r := s.sendUpdates(ctx, d, todo, pre, "non-fast forward", show)
	show.said.Close()
	status := r.status
	if r.unpack != "" {
		s.P.Fprintf(stderr, "error: remote unpack failed: %s\n", r.unpack)
	}
	if !r.fatal.empty() && r.hint != "" {
		s.P.Fprintf(stderr, "federate: %s: hint: %s\n", s.named(d.srv.Raw).Localize(s.P), r.hint)
	}
	for i, u := range todo {
		if u.Delete() && status[i].UpToDate {
			status[i] = refStatus{OK: true} // git's transport: deleted, as it asked
		}
		if status[i].OK && u.Force && !u.Delete() {
			status[i].Forced = s.rewinds(ctx, d.adv.OID(u.Ref), u.OID)
		}
	}
	return s.primaryFailed(d.srv.Raw, status)
}

// primaryThroughGit pushes updates to srv through git's http helper,
// started now: the push needs what only git's transport does.
func (s *Session) primaryThroughGit(ctx context.Context, srv federation.Endpoint, updates []update) []refStatus {
	r, err := s.startPushRelay(ctx, srv, s.childOptions())
	if err != nil {
		out := make([]refStatus, len(updates))
		for i := range out {
			out[i] = refStatus{Reason: ours(codeFailed, i18n.M("%v", err)), Unreported: true}
		}
		return s.primaryFailed(srv.Raw, out)
	}
	r.stderr.release(s.Stderr)
	return s.relayPrimary(ctx, r, updates)
}

// remoteColor reports whether git colours the server's words on a
// terminal (color.remote, else color.ui; on by default).
func (s *Session) remoteColor(ctx context.Context) bool {
	g := s.child()
	g.Stderr = nil
	ctx, cancel := context.WithTimeout(ctx, ListTimeout)
	defer cancel()
	out, err := g.Output(ctx, "config", "--get-colorbool", "color.remote", "true")
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

// stderrTerminal reports whether the user's stderr is a terminal that
// understands escapes, as git's sideband.c asks (isatty, TERM set and
// not "dumb").
func (s *Session) stderrTerminal() bool {
	f, ok := s.Stderr.(*os.File)
	t := getenvOf(s.Git.Env)("TERM")
	return ok && t != "" && t != "dumb" && term.IsTerminal(int(f.Fd()))
}
