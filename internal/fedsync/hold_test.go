package fedsync

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// pruneFixture is a federation with prune = true: origin and two
// mirrors served by git http-backend, every ref in sync.
type pruneFixture struct {
	srv      *gittest.Server
	fed      *federation.Federation
	progress *bytes.Buffer // the engine serialises its lines
	e        *Engine
	all      []string // the refs origin starts with
}

// newPruneFixture starts the servers and syncs once. A gitUser names a
// user in origin's URL, which leaves its listing to `git ls-remote`.
func newPruneFixture(t *testing.T, gitUser ...string) *pruneFixture {
	t.Helper()
	gittest.Isolate(t)
	fx := &pruneFixture{srv: gittest.NewServer(t, gittest.Auth{}), progress: &bytes.Buffer{}}
	origin := fx.srv.InitBare(t, "origin.git")
	wc := gittest.NewWorkRepo(t)
	gittest.Commit(t, wc, "a", "a", "first")
	fx.all = []string{"refs/heads/main"}
	for _, n := range []string{"b1", "b2", "b3", "b4"} {
		gittest.Git(t, wc, "branch", n)
		fx.all = append(fx.all, "refs/heads/"+n)
	}
	for _, n := range []string{"t1", "t2", "t3", "t4"} {
		gittest.Git(t, wc, "tag", n)
		fx.all = append(fx.all, "refs/tags/"+n)
	}
	gittest.Git(t, wc, "push", "-q", origin, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
	if len(gitUser) > 0 {
		origin = strings.Replace(origin, "://", "://"+gitUser[0]+"@", 1)
	}
	o, _ := federation.ParseEndpoint(origin)
	fx.fed = &federation.Federation{Name: "app", Origin: o, Options: federation.Options{Prune: true}}
	for _, name := range []string{"m1.git", "m2.git"} {
		m, _ := federation.ParseEndpoint(fx.srv.InitBare(t, name))
		fx.fed.Mirrors = append(fx.fed.Mirrors, m)
	}
	e, err := New(Config{Git: gitexec.Runner{Env: os.Environ()}, CacheRoot: t.TempDir(), Jobs: 2, Progress: fx.progress})
	if err != nil {
		t.Fatal(err)
	}
	fx.e = e
	if r := fx.sync(t); r.Outcome() != "ok" {
		t.Fatalf("first sync: %s %v", r.Outcome(), r.Err())
	}
	fx.wantMirrors(t, fx.all...)
	return fx
}

func (fx *pruneFixture) sync(t *testing.T) *FederationResult {
	t.Helper()
	return fx.e.Sync(context.Background(), fx.fed, Options{})
}

// wantMirrors fails unless every mirror has exactly refs.
func (fx *pruneFixture) wantMirrors(t *testing.T, refs ...string) {
	t.Helper()
	refs = slices.Sorted(slices.Values(refs))
	want := strings.Join(refs, " ")
	for _, m := range []string{"m1.git", "m2.git"} {
		got := strings.Join(strings.Fields(gittest.Git(t, fx.srv.Path(m), "for-each-ref", "--format=%(refname)", "refs/heads", "refs/tags")), " ")
		if got != want {
			t.Errorf("%s has %s; want %s", m, got, want)
		}
	}
}

// serveOrigin makes origin's server answer from repo (a directory) in
// place of the real repository, which it keeps aside; restore puts the
// real one back.
func (fx *pruneFixture) serveOrigin(t *testing.T, repo string) (restore func()) {
	t.Helper()
	real, aside := fx.srv.Path("origin.git"), filepath.Join(t.TempDir(), "origin.git")
	if err := os.Rename(real, aside); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(repo, real); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.RemoveAll(real); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(aside, real); err != nil {
			t.Fatal(err)
		}
	}
}

// An origin that answers one listing from a repository that lost most
// of its refs (a half-restored replica, a listing that lost refs on its
// way) must not make prune delete them from every mirror: the soak saw
// every ref but main and t4 deleted from all three mirrors while origin
// still had them. Sync holds the deletes, says so naming origin, and
// reports the federation as partial; the next good listing finds
// everything in place.
func TestSyncPruneHoldsWhenOriginListsMostRefsGone(t *testing.T) {
	fx := newPruneFixture(t)
	partial := filepath.Join(t.TempDir(), "partial.git")
	gittest.Git(t, "", "clone", "-q", "--mirror", fx.srv.Path("origin.git"), partial)
	for _, ref := range fx.all {
		if ref != "refs/heads/main" && ref != "refs/tags/t4" {
			gittest.Git(t, partial, "update-ref", "-d", ref)
		}
	}
	restore := fx.serveOrigin(t, partial)
	r := fx.sync(t)
	fx.wantMirrors(t, fx.all...)
	if r.Outcome() != "partial" {
		t.Errorf("sync over a listing that lost 7 of 9 refs: outcome %s, want partial", r.Outcome())
	}
	for _, ref := range r.Mirrors[0].Refs {
		if ref.State == Extra && (ref.Action != ActKeep || ref.Reason != ReasonPruneHeld.String()) {
			t.Errorf("%s: %s %q, want kept with the reason", ref.Ref, ref.Action, ref.Reason)
		}
	}
	if out := fx.progress.String(); !strings.Contains(out, fx.fed.Origin.Raw+" listed 2 ref(s) where the sync cache had 9: not deleting 14 mirror ref(s)") {
		t.Errorf("progress does not say why nothing was pruned, naming origin:\n%s", out)
	}
	restore()
	if r := fx.sync(t); r.Outcome() != "ok" {
		t.Errorf("sync with origin back: %s %v", r.Outcome(), r.Err())
	}
	fx.wantMirrors(t, fx.all...)
}

// An origin listing no ref at all never prunes a mirror that has refs,
// however many syncs agree: an emptied origin is more likely a server
// answering from the wrong repository than a deliberate deletion.
func TestSyncPruneNeverEmptiesMirrorsFromAnEmptyOrigin(t *testing.T) {
	fx := newPruneFixture(t)
	empty := filepath.Join(t.TempDir(), "empty.git")
	gittest.Git(t, "", "init", "-q", "--bare", empty)
	fx.serveOrigin(t, empty)
	for i := range 2 {
		if r := fx.sync(t); r.Outcome() != "partial" {
			t.Errorf("sync %d over an empty origin: outcome %s %v, want partial", i+1, r.Outcome(), r.Err())
		}
		fx.wantMirrors(t, fx.all...)
	}
	if out := fx.progress.String(); !strings.Contains(out, fx.fed.Origin.Raw+" listed no refs") {
		t.Errorf("progress does not name origin's empty listing:\n%s", out)
	}
}

// A real deletion of most refs on origin is carried out, one sync later:
// the second listing agrees with the first.
func TestSyncPruneCarriesAMassDeletionOnTheNextSync(t *testing.T) {
	fx := newPruneFixture(t)
	wc := gittest.NewWorkRepo(t)
	args := []string{"push", "-q", fx.fed.Origin.Raw}
	for _, ref := range fx.all {
		if ref != "refs/heads/main" && ref != "refs/tags/t4" {
			args = append(args, ":"+ref)
		}
	}
	gittest.Git(t, wc, args...)
	fx.sync(t)
	fx.wantMirrors(t, fx.all...)
	if r := fx.sync(t); r.Outcome() != "ok" {
		t.Errorf("second sync after the deletion: %s %v", r.Outcome(), r.Err())
	}
	fx.wantMirrors(t, "refs/heads/main", "refs/tags/t4")
}

// The soak's data loss (seed 2026, step 306): a connection to origin cut
// inside the headers of its answer to info/refs. git took the status
// line without the smart Content-Type for a dumb server with an empty
// ref list, `git ls-remote` printed nothing and exited 0, and prune
// deleted every ref the mirrors would let go. An empty listing over
// http(s) is now taken only from a smart answer: the listing is made
// again, and a second cut fails the federation instead of emptying it.
func TestSyncOriginListingCutInItsHeadersDeletesNothing(t *testing.T) {
	fx := newPruneFixture(t, "git")
	refsPath := "/origin.git/info/refs"
	fx.srv.AddFault(gittest.Fault{Prefix: refsPath, CutAfterStatus: true, Count: 1})
	if r := fx.sync(t); r.Outcome() != "ok" {
		t.Errorf("sync over one cut listing: %s %v, want ok (listed again)", r.Outcome(), r.Err())
	}
	fx.wantMirrors(t, fx.all...)

	fx.srv.AddFault(gittest.Fault{Prefix: refsPath, CutAfterStatus: true, Count: 2})
	r := fx.sync(t)
	if r.Outcome() != "failed" || !strings.Contains(r.Error, "not git's smart HTTP") || !strings.Contains(r.Error, fx.fed.Origin.Host) {
		t.Errorf("sync over two cut listings: %s %q, want failed, naming origin's server", r.Outcome(), r.Error)
	}
	fx.wantMirrors(t, fx.all...)
}
