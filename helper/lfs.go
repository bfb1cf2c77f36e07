package helper

import (
	"context"
	"os/exec"
	"slices"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/delivery"
	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/lfs"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// pointLFS tells git-lfs in this repository where LFS objects live: a
// federate:: URL gives it nothing it can use. remote.<name>.<key>
// becomes srv's LFS URL: lfsurl after a fetch (origin's, or after a
// failover the mirror's that served the refs), lfspushurl before a push
// (the server pushed to first, where the user's pre-push hook uploads).
// git's credential helper for that server becomes this program's too, so
// git-lfs gets the same token git does. Neither setting holds a token.
// What is set already it reads from the config NewSession read
// (lfsConfig), so a fetch whose settings are right starts no git, and
// one that changes them only the writes: git config sets one key a run.
func (s *Session) pointLFS(srv federation.Endpoint, key string) {
	// afterFetch runs once git has the objects, outside any command's
	// context; two config writes need only a short bound of their own.
	ctx, cancel := context.WithTimeout(context.Background(), ListTimeout)
	defer cancel()
	if on, _ := s.Fed.CarriesLFS(); !on || s.GitDir == "" || !isRemoteName(s.Remote) {
		return
	}
	if _, err := exec.LookPath("git-lfs"); err != nil {
		return // nothing would read the settings
	}
	ep, ok := lfs.Endpoint(srv.Raw)
	if !ok {
		return
	}
	g := s.child()
	g.Stderr = nil
	key = "remote." + s.Remote + "." + key
	if v := s.lfsConfig[key]; len(v) > 0 && strings.TrimSpace(v[len(v)-1]) == ep { // the last, as `git config --get` answers
		return
	}
	if err := g.Run(ctx, "config", key, ep); err != nil {
		s.P.Fprintf(s.Stderr, "warning: federate: could not point git-lfs at %s: %s\n", ep, s.P.Error(err))
		return
	}
	s.setLFSConfig(key, ep)
	s.Log.Debug("git-lfs endpoint", "remote", s.Remote, "url", ep)
	helper := "credential." + srv.HostURL() + ".helper"
	if slices.ContainsFunc(s.lfsConfig[helper], func(v string) bool { return slices.Contains(strings.Fields(v), "federate") }) {
		return
	}
	if err := g.Run(ctx, "config", "--add", helper, "federate"); err != nil {
		s.P.Fprintf(s.Stderr, "warning: federate: could not set git-lfs's credential helper for %s: %s\n", srv.HostURL(), s.P.Error(err))
		return
	}
	s.setLFSConfig(helper, "federate")
}

// lfsKeys are the keys of git config pointLFS reads for the remote
// (NewSession reads them with the federations): its LFS URLs, and the
// credential section for the servers' credential helpers, whose hosts
// are known only once the federation is. A remote git has no name for
// gets no LFS settings: nothing is read for it.
func lfsKeys(remote string) []string {
	if !isRemoteName(remote) {
		return nil
	}
	return []string{"remote." + remote + ".lfsurl", "remote." + remote + ".lfspushurl", "credential"}
}

// configValues are entries' values by key, in git's order.
func configValues(entries []gitexec.ConfigEntry) map[string][]string {
	m := make(map[string][]string, len(entries))
	for _, e := range entries {
		m[e.Key] = append(m[e.Key], e.Value)
	}
	return m
}

// setLFSConfig records in lfsConfig the value pointLFS just wrote to
// key in the repository's config: read after the global and system
// files, it is the one `git config --get` gives now.
func (s *Session) setLFSConfig(key, value string) {
	if s.lfsConfig == nil {
		s.lfsConfig = map[string][]string{}
	}
	s.lfsConfig[key] = append(s.lfsConfig[key], value)
}

// isRemoteName reports whether git named the remote (git passes the URL
// itself for `git fetch federate::X`), so it has config of its own.
func isRemoteName(r string) bool {
	return r != "" && !strings.Contains(r, "::") && !strings.Contains(r, "/")
}

// carryLFS uploads to srv, before its refs move, the LFS objects of the
// new values in updates that it lacks: from this repository's LFS store,
// or (for a mirror, when the store lacks one) from the primary server
// the push went to first. Objects the server already holds (the user's
// pre-push hook from `git lfs install` uploads to the lfspushurl) are
// not sent again: the batch API says which are missing.
//
// Only commits origin did not have yet (not in the remote-tracking refs)
// are read for pointers: a server that took every earlier push holds
// their objects already. A mirror with queued updates may have missed
// some, so full reads the whole history of updates.
func (s *Session) carryLFS(ctx context.Context, srv federation.Endpoint, updates []update, full bool) error {
	on, always := s.Fed.CarriesLFS()
	if !on || s.GitDir == "" || s.opts.DryRun {
		return nil
	}
	if s.forbidden(ctx, srv) {
		// Nothing goes to a server git's protocol policy forbids, its
		// token least of all: plain git refuses it before it runs the
		// pre-push hook that uploads LFS objects, and the push's refusal,
		// in git's words, is all the server gets.
		return nil
	}
	var tips []string
	for _, u := range updates {
		if !u.Delete() && u.OID != "" {
			tips = append(tips, u.OID)
		}
	}
	var exclude []string
	if isRemoteName(s.Remote) && !full {
		exclude = []string{"--remotes=" + s.Remote}
	}
	g := s.child()
	g.Stderr = nil
	if !always && !s.usesLFS(ctx, g, tips) {
		return nil
	}
	objs, err := lfs.Pointers(ctx, g, true, tips, exclude)
	if err != nil || len(objs) == 0 {
		return err
	}
	creds := lfs.GitCredentials(g.Env)
	settings := func(u string) httpx.Settings { return s.httpSettings(ctx, u) }
	dst, ok := lfs.NewClient(srv.Raw, creds, settings)
	if !ok {
		return i18n.Errorf("LFS objects travel over http(s) only: %w", lfs.ErrUnsupported)
	}
	dst.Limit(s.Fed.TimeoutOf(srv)) // the server's own limit, else the federation's
	src := lfs.Store(s.GitDir)
	if primary := s.pushTarget(); primary.Raw != srv.Raw {
		if c, ok := lfs.NewClient(primary.Raw, creds, settings); ok {
			src = lfs.Fallback(src, c.Limit(s.Fed.TimeoutOf(primary)).Download)
		}
	}
	n, err := dst.Upload(ctx, objs, src)
	if n > 0 && s.opts.Verbosity > 0 {
		who := srv.Raw
		if srv.Raw != s.pushTarget().Raw {
			who = s.P.Sprintf("mirror %s", who)
		}
		s.P.Fprintf(s.Stderr, "federate: %s: uploaded %s\n", who, s.P.Sprintf("%d LFS objects", n))
	}
	return err
}

// usesLFS is lfs.UsesLFS, asked once per set of tips in a session: the
// primary and every mirror of a push without queued updates share the
// answer, and git is not run again between origin's verdict and the
// mirrors' pushes.
func (s *Session) usesLFS(ctx context.Context, g gitexec.Runner, tips []string) bool {
	key := strings.Join(slices.Sorted(slices.Values(tips)), " ")
	s.lfsMu.Lock()
	defer s.lfsMu.Unlock()
	if used, ok := s.lfsUsed[key]; ok {
		return used
	}
	used := lfs.UsesLFS(ctx, g, tips)
	if ctx.Err() == nil {
		if s.lfsUsed == nil {
			s.lfsUsed = map[string]bool{}
		}
		s.lfsUsed[key] = used
	}
	return used
}

// lfsReason is the short reason a server's refs were not pushed.
func lfsReason(err error) transport.Reason {
	return transport.Ours(transport.CodeLFS, delivery.LFSReason(err))
}

// pushPrimaryLFS is pushPrimary after the LFS objects reached the
// primary server; when they could not, no ref moves.
func (s *Session) pushPrimaryLFS(ctx context.Context, primary federation.Endpoint, updates []update) []transport.Status {
	if err := s.carryLFS(ctx, primary, updates, false); err != nil {
		out := make([]transport.Status, len(updates))
		for i := range out {
			out[i] = transport.Status{Reason: lfsReason(err)}
		}
		return out
	}
	return s.pushPrimary(ctx, primary.Raw, updates)
}

// mirrorLFS uploads the LFS objects of p to its mirror; when they could
// not go, the outcome refuses every ref (reported and queued) and ok is
// false.
func (s *Session) mirrorLFS(ctx context.Context, p mirrorPlan) (mirrorOutcome, bool) {
	updates := make([]update, len(p.Updates))
	missed := len(p.Queue.Stale) > 0 // it refused an earlier push
	for i, u := range p.Updates {
		updates[i] = u.update
		missed = missed || u.index < 0
	}
	err := s.carryLFS(ctx, p.Mirror, updates, missed)
	if err == nil {
		return mirrorOutcome{}, true
	}
	out := mirrorOutcome{Plan: p, Fatal: lfsReason(err)}
	for _, u := range p.Updates {
		out.Refs = append(out.Refs, mirrorRef{indexedUpdate: u, Reason: out.Fatal})
	}
	return out, false
}
