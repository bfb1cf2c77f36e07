package helper

import (
	"context"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// The primary server, when it qualifies as a mirror does (transport.Choose),
// is listed by this process with the token up front (one request) and
// pushed to in one more: two requests where git's transport makes
// three. git sends the push's options (dry-run, atomic, push options,
// leases, a signature) only after the listing; a push that needs
// something only git's transport does (a signed push, a dry run,
// force-if-includes, an option the server did not announce) starts
// git's http helper then, which lists the server again and pushes.

// pushPrimaryDirect pushes updates to the primary d listed, from this
// process, and returns a status per update, in order, in the words of
// the helper protocol: a lease that does not hold is "stale info", a
// refusal before sending is worded as git's transport words it. The
// user sees what git's transport shows: the upload's progress when git
// asked for it, the server's messages as "remote: " lines as they
// arrive, and its error unpacking the pack.
func (s *Session) pushPrimaryDirect(ctx context.Context, d *directMirror, updates []update) []transport.Status {
	ctx, cancel := context.WithTimeout(ctx, PushTimeout)
	defer cancel()
	pre := make([]transport.Status, len(updates))
	todo := make([]update, len(updates))
	for i, u := range updates {
		todo[i] = u
		l, leased := s.opts.Leases.For(u.Ref)
		switch {
		case !leased:
		case d.listing.OID(u.Ref) != l.Expect:
			pre[i] = transport.Status{Reason: transport.Said("stale info")}
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
	if !r.fatal.Empty() && r.hint != "" {
		s.P.Fprintf(stderr, "federate: %s: hint: %s\n", s.named(d.srv.Raw).Localize(s.P), r.hint)
	}
	for i, u := range todo {
		if u.Delete() && status[i].UpToDate {
			status[i] = transport.Status{OK: true} // git's transport: deleted, as it asked
		}
		if status[i].OK && u.Force && !u.Delete() {
			status[i].Forced = s.rewinds(ctx, d.listing.OID(u.Ref), u.OID)
		}
	}
	return s.primaryFailed(d.srv.Raw, status)
}

// primaryThroughGit pushes updates to srv through git's http helper,
// started now: the push needs what only git's transport does.
func (s *Session) primaryThroughGit(ctx context.Context, srv federation.Endpoint, updates []update) []transport.Status {
	r, err := s.startPushRelay(ctx, srv, s.childOptions())
	if err != nil {
		out := make([]transport.Status, len(updates))
		for i := range out {
			out[i] = transport.Status{Reason: transport.Ours(transport.CodeFailed, i18n.M("%v", err)), Unreported: true}
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
