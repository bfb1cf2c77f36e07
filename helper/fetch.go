package helper

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// fetch answers one fetch batch: a child `git fetch` run inside $GIT_DIR
// brings the wanted objects from the server that gave the last listing;
// git itself then updates the refs. A session may hold several batches
// (git asks again to backfill tags).
func (s *Session) fetch(ctx context.Context, f protocol.Fetch, w *protocol.Writer) error {
	if s.listing == nil {
		// git always lists first; be safe if it did not.
		l, err := s.fetchListing(ctx)
		if err != nil {
			return err
		}
		s.listing = l
	}
	l := s.listing
	want := newOIDSet()
	for _, r := range f.Refs {
		want.add(r.OID)
	}
	if s.opts.FollowTags {
		// Annotated tags on the commits fetched now come in the same
		// pack, as a native fetch's include-tag would bring them.
		for _, t := range l.tagsOn(want) {
			want.add(t)
		}
	}
	if err := s.gitFetch(ctx, l.Server, want.list, nil); err != nil {
		return err
	}
	if s.opts.FollowTags && s.opts.Filter == "" {
		if err := s.backfillTags(ctx, l, want); err != nil {
			return err
		}
	}
	if s.opts.CheckConnectivity {
		// The child fetch checked that what it brought is connected.
		w.ConnectivityOK()
	}
	s.afterFetch(l.Server)
	return w.End()
}

// oidSet is a set of object names that keeps their first-seen order.
type oidSet struct {
	list []string
	has  map[string]bool
}

func newOIDSet() *oidSet { return &oidSet{has: map[string]bool{}} }

func (o *oidSet) add(oid string) {
	if !o.has[oid] {
		o.has[oid] = true
		o.list = append(o.list, oid)
	}
}

// tagsOn returns the annotated tags of the listing that peel to one of
// commits.
func (l *serverRefs) tagsOn(commits *oidSet) []string {
	var out []string
	for _, r := range l.Refs {
		if p, ok := l.Peeled[r.Name]; ok && strings.HasPrefix(r.Name, "refs/tags/") && commits.has[p] {
			out = append(out, r.OID)
		}
	}
	return out
}

// backfillTags fetches the annotated tags whose commit is now present
// but whose tag object is not, which is what git's tag following looks
// for after a fetch. git before 2.44 does not find them on its own
// through a helper that lists no peeled values. fetched is what this
// batch already brought. It is not used in a partial clone (filter set):
// looking for a missing object there makes git fetch it lazily, through
// this very helper.
func (s *Session) backfillTags(ctx context.Context, l *serverRefs, fetched *oidSet) error {
	var tags []refs.Ref
	check := newOIDSet()
	for _, r := range l.Refs {
		p, ok := l.Peeled[r.Name]
		if ok && strings.HasPrefix(r.Name, "refs/tags/") && !fetched.has[r.OID] {
			tags = append(tags, r)
			check.add(r.OID)
			check.add(p)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	have, err := s.present(ctx, check.list)
	if err != nil {
		return err
	}
	want, tips := newOIDSet(), newOIDSet()
	for _, r := range tags {
		if peeled := l.Peeled[r.Name]; have[peeled] && !have[r.OID] {
			want.add(r.OID)
			tips.add(peeled)
		}
	}
	if len(want.list) == 0 {
		return nil
	}
	return s.gitFetch(ctx, l.Server, want.list, tips.list)
}

// present reports which of oids exist in the local repository.
func (s *Session) present(ctx context.Context, oids []string) (map[string]bool, error) {
	g := s.Git
	g.Dir, g.Env, g.Stderr = s.GitDir, s.childEnv(), nil
	in := strings.NewReader(strings.Join(oids, "\n") + "\n")
	out, err := g.OutputStdin(ctx, in, "cat-file", "--batch-check")
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		oid, rest, _ := strings.Cut(sc.Text(), " ")
		if rest != "missing" {
			have[oid] = true
		}
	}
	return have, sc.Err()
}

// gitFetch runs `git fetch` inside $GIT_DIR to bring oids from srv
// without touching any ref. With negotiation tips (a tag backfill) the
// fetch tells the server it has those commits and takes no depth
// options: only the tag objects are wanted.
func (s *Session) gitFetch(ctx context.Context, srv federation.Endpoint, oids, tips []string) error {
	args := []string{"fetch", "--no-write-fetch-head", "--no-tags", "--no-recurse-submodules",
		"--no-auto-maintenance", "--no-write-commit-graph", "--stdin"}
	args = append(args, s.verbosityArgs()...)
	if tips == nil {
		args = append(args, s.depthArgs()...)
	}
	for _, t := range tips {
		args = append(args, "--negotiation-tip="+t)
	}
	g := s.Git
	g.Dir, g.Env = s.GitDir, s.childEnv()
	g, url := g.Plain(srv.Raw)
	args = append(args, "--", url)
	if s.opts.Filter != "" {
		// git fetch --filter <url> would record <url> (the remote's name
		// here) as a promisor remote in the repository's config, unless
		// it already is one with a filter: say so for this child only.
		g.Env = gitexec.WithConfig(g.Env, "remote."+url+".promisor", "true")
		g.Env = gitexec.WithConfig(g.Env, "remote."+url+".partialclonefilter", s.opts.Filter)
	}
	_, err := g.OutputStdin(ctx, strings.NewReader(strings.Join(oids, "\n")+"\n"), args...)
	var gerr *gitexec.Error
	if errors.As(err, &gerr) {
		// The child's stderr has already reached the user.
		return i18n.Errorf("fetching from %s: git fetch exited with status %d", srv.Raw, gerr.ExitCode)
	}
	return err
}

// verbosityArgs maps git's progress and verbosity options onto the child
// fetch. At the default verbosity the child prints only progress: with
// --no-write-fetch-head and no destination refs it has no ref lines.
func (s *Session) verbosityArgs() []string {
	var args []string
	switch {
	case s.opts.Verbosity <= 0:
		args = append(args, "-q")
	case s.opts.Verbosity >= 2:
		args = append(args, "-v")
	}
	if s.opts.Progress {
		args = append(args, "--progress")
	} else {
		args = append(args, "--no-progress")
	}
	switch s.opts.Family {
	case "ipv4":
		args = append(args, "-4")
	case "ipv6":
		args = append(args, "-6")
	}
	return args
}

// depthArgs maps the shallow and partial-clone options onto git fetch.
func (s *Session) depthArgs() []string {
	var args []string
	o := s.opts
	if o.Depth != "" && o.Depth != "0" { // git sends depth 0 to mean "none"
		if o.DeepenRelative {
			args = append(args, "--deepen="+o.Depth)
		} else {
			args = append(args, "--depth="+o.Depth)
		}
	}
	if o.DeepenSince != "" {
		args = append(args, "--shallow-since="+o.DeepenSince)
	}
	for _, n := range o.DeepenNot {
		args = append(args, "--shallow-exclude="+n)
	}
	if o.UpdateShallow {
		args = append(args, "--update-shallow")
	}
	if o.Filter != "" {
		args = append(args, "--filter="+o.Filter)
	}
	return args
}

// childEnv is the environment of git children that work on the local
// repository: the session's (with the credential callback), and GIT_DIR
// absolute, since git may have handed us a relative one and children run
// inside it.
func (s *Session) childEnv() []string {
	env := s.Git.Env
	if env == nil {
		env = os.Environ()
	}
	if s.GitDir == "" {
		return env
	}
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GIT_DIR=") {
			out = append(out, kv)
		}
	}
	return append(out, "GIT_DIR="+s.GitDir)
}
