package fedcmd

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func assertRef(t *testing.T, repo, ref, want string) {
	t.Helper()
	if got := gittest.RefOf(t, repo, ref); got != want {
		t.Fatalf("%s %s = %q, want %q", filepath.Base(repo), ref, got, want)
	}
}

func assertNoToken(t *testing.T, outs ...string) {
	t.Helper()
	for _, o := range outs {
		if strings.Contains(o, syncToken) || strings.Contains(o, gittest.BasicAuthHeader("x", syncToken)[4:]) {
			t.Fatalf("output holds the token:\n%s", o)
		}
	}
}

func TestSyncMovesMirrorsForward(t *testing.T) {
	fx := newSyncFixture(t, 3)
	main := fx.commitOrigin(t, "main", "a.txt")
	feature := fx.commitOrigin(t, "feature", "b.txt")
	gittest.Git(t, fx.work, "tag", "-a", "-m", "annotated", "v2")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), "v2")
	v2 := gittest.RefOf(t, fx.srv.Path("origin.git"), "refs/tags/v2") // the tag object

	r := fx.sync(t, SyncOptions{})
	if r.code != ExitOK {
		t.Fatalf("sync exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	for i := range fx.mirrors {
		assertRef(t, fx.mirrorPath(i), "refs/heads/main", main)
		assertRef(t, fx.mirrorPath(i), "refs/heads/feature", feature)
		assertRef(t, fx.mirrorPath(i), "refs/tags/v2", v2)
	}
	if !strings.Contains(r.out, "2 created") || !strings.Contains(r.out, "1 updated") {
		t.Errorf("sync output does not say what it did:\n%s", r.out)
	}
	if !strings.Contains(r.errOut, "pushing") {
		t.Errorf("no progress on stderr:\n%s", r.errOut)
	}
	assertNoToken(t, r.out, r.errOut)
	cache := filepath.Join(os.Getenv("XDG_DATA_HOME"), "git-federate", "demo.git")
	if bitmaps, _ := filepath.Glob(filepath.Join(cache, "objects", "pack", "*.bitmap")); len(bitmaps) != 1 {
		t.Errorf("cache has %d bitmaps, want 1 (repack -adb after the first fetch)", len(bitmaps))
	}
}

// An unchanged origin costs one ref listing per target: no fetch, no push.
func TestSyncUnchangedOriginOnlyListsRefs(t *testing.T) {
	fx := newSyncFixture(t, 3)
	fx.commitOrigin(t, "main", "a.txt")
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("first sync exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	before := len(fx.srv.Requests())
	r := fx.sync(t, SyncOptions{JSON: true})
	if r.code != ExitOK {
		t.Fatalf("second sync exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if rep := decodeReport(t, r.out); rep.Federations[0].Fetched || rep.Federations[0].Mirrors[0].Pushed {
		t.Errorf("unchanged origin: fetched=%v pushed=%v", rep.Federations[0].Fetched, rep.Federations[0].Mirrors[0].Pushed)
	}
	perRepo := map[string][]string{}
	for _, q := range requestsSince(fx.srv, before) {
		repo, _, _ := strings.Cut(strings.TrimPrefix(q.Path, "/"), "/")
		perRepo[repo] = append(perRepo[repo], q.Method+" "+q.Path+"?"+q.Query)
		if q.Method != "GET" || !strings.HasSuffix(q.Path, "/info/refs") {
			t.Errorf("request on an unchanged origin other than a ref listing: %s %s", q.Method, q.Path)
		}
	}
	if len(perRepo) != 4 {
		t.Errorf("requests touched %d repositories, want origin + 3 mirrors: %v", len(perRepo), perRepo)
	}
	// One listing each, the token sent up front: no 401 round trip, no
	// ls-refs POST.
	for repo, reqs := range perRepo {
		if len(reqs) != 1 {
			t.Errorf("%s: %d requests, want one listing: %v", repo, len(reqs), reqs)
		}
	}
}

func TestSyncKeepsDivergedThenForceOverwrites(t *testing.T) {
	fx := newSyncFixture(t, 2)
	mirrorOnly := fx.divergeMirror(t, 0, "main")
	main := fx.commitOrigin(t, "main", "a.txt")

	r := fx.sync(t, SyncOptions{JSON: true})
	if r.code != ExitPartial {
		t.Fatalf("diverged mirror: exit %d, want 3\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", mirrorOnly)
	assertRef(t, fx.mirrorPath(1), "refs/heads/main", main)
	rep := decodeReport(t, r.out)
	if st, act, res := rep.refState(0, "refs/heads/main"); st != "diverged" || act != "keep" || res != "kept" {
		t.Errorf("mirror1 main: state=%s action=%s result=%s, want diverged/keep/kept", st, act, res)
	}
	if st, act, res := rep.refState(1, "refs/heads/main"); st != "behind" || act != "update" || res != "ok" {
		t.Errorf("mirror2 main: state=%s action=%s result=%s, want behind/update/ok", st, act, res)
	}

	// Commits only on mirror2, on top of origin's: ahead, also kept.
	ahead := fx.divergeMirror(t, 1, "main")
	r = fx.sync(t, SyncOptions{})
	if r.code != ExitPartial || !strings.Contains(r.out, "kept ahead") || !strings.Contains(r.out, "--force") {
		t.Fatalf("ahead mirror: exit %d, want 3 and a hint\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(1), "refs/heads/main", ahead)

	r = fx.sync(t, SyncOptions{Force: true})
	if r.code != ExitOK {
		t.Fatalf("--force: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", main)
	assertRef(t, fx.mirrorPath(1), "refs/heads/main", main)
}

func TestSyncForceFromConfig(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.divergeMirror(t, 0, "main")
	main := fx.commitOrigin(t, "main", "a.txt")
	gittest.Git(t, "", "config", "--global", "federation.demo.force", "true")
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("force = true: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", main)
}

func TestSyncPrune(t *testing.T) {
	fx := newSyncFixture(t, 2)
	old := fx.commitOrigin(t, "old", "o.txt")
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), ":old")

	r := fx.sync(t, SyncOptions{})
	if r.code != ExitOK || !strings.Contains(r.out, "--prune") {
		t.Fatalf("without --prune: exit %d, want 0 and a hint\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/old", old)

	if r := fx.sync(t, SyncOptions{Prune: true}); r.code != ExitOK {
		t.Fatalf("--prune: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	for i := range fx.mirrors {
		assertRef(t, fx.mirrorPath(i), "refs/heads/old", "")
		assertRef(t, fx.mirrorPath(i), "refs/heads/main", gittest.RefOf(t, fx.srv.Path("origin.git"), "refs/heads/main"))
	}
}

func TestSyncHonoursIncludeExclude(t *testing.T) {
	fx := newSyncFixture(t, 1)
	gittest.Git(t, "", "config", "--global", "federation.demo.include", "refs/heads/*")
	gittest.Git(t, "", "config", "--global", "federation.demo.exclude", "refs/heads/wip/*")
	extra := fx.commitOrigin(t, "mirror-only", "m.txt")
	gittest.Git(t, fx.work, "push", "-q", fx.mirrorPath(0), "mirror-only")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), ":mirror-only")
	wip := fx.commitOrigin(t, "wip/x", "w.txt")
	main := fx.commitOrigin(t, "main", "a.txt")
	gittest.Git(t, fx.work, "tag", "v9")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), "v9")
	gittest.Git(t, fx.mirrorPath(0), "update-ref", "refs/heads/wip/mirror", extra)

	if r := fx.sync(t, SyncOptions{Prune: true}); r.code != ExitOK {
		t.Fatalf("sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", main)
	assertRef(t, fx.mirrorPath(0), "refs/heads/wip/x", "")         // excluded
	assertRef(t, fx.mirrorPath(0), "refs/tags/v9", "")             // not included
	assertRef(t, fx.mirrorPath(0), "refs/heads/wip/mirror", extra) // excluded: never pruned
	assertRef(t, fx.mirrorPath(0), "refs/heads/mirror-only", "")   // covered: pruned
	_ = wip
}

func TestSyncDryRunChangesNothing(t *testing.T) {
	fx := newSyncFixture(t, 2)
	before := gittest.RefOf(t, fx.mirrorPath(0), "refs/heads/main")
	fx.commitOrigin(t, "main", "a.txt")
	fx.commitOrigin(t, "feature", "f.txt")
	n := len(fx.srv.Requests())

	r := fx.sync(t, SyncOptions{DryRun: true, JSON: true, Prune: true})
	if r.code != ExitOK {
		t.Fatalf("dry run: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	for i := range fx.mirrors {
		assertRef(t, fx.mirrorPath(i), "refs/heads/main", before)
		assertRef(t, fx.mirrorPath(i), "refs/heads/feature", "")
	}
	for _, q := range requestsSince(fx.srv, n) {
		if strings.Contains(q.Path+q.Query, "receive-pack") {
			t.Fatalf("dry run talked to receive-pack: %s %s", q.Method, q.Path)
		}
	}
	rep := decodeReport(t, r.out)
	if st, act, res := rep.refState(0, "refs/heads/feature"); st != "missing" || act != "create" || res != "planned" {
		t.Errorf("feature: %s/%s/%s, want missing/create/planned", st, act, res)
	}
}

func TestSyncOneMirrorDownIsPartial(t *testing.T) {
	fx := newSyncFixture(t, 3)
	main := fx.commitOrigin(t, "main", "a.txt")
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror2.git/", Status: 502, Body: "bad gateway"})

	r := fx.sync(t, SyncOptions{})
	if r.code != ExitPartial {
		t.Fatalf("one mirror down: exit %d, want 3\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", main)
	assertRef(t, fx.mirrorPath(2), "refs/heads/main", main)
	if !strings.Contains(r.out, fx.mirrors[1]+": FAILED") {
		t.Errorf("output does not name the failed mirror:\n%s", r.out)
	}
	assertNoToken(t, r.out, r.errOut)

	fx.srv.ClearFaults()
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("mirror back: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(1), "refs/heads/main", main)
}

func TestSyncOriginDownFails(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.srv.AddFault(gittest.Fault{Prefix: "/origin.git/", Status: 404, Body: "not found"})
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitFailure || !strings.Contains(r.out, "demo: FAILED") {
		t.Fatalf("origin down: exit %d, want 1\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestSyncConcurrentRunsBothSucceed(t *testing.T) {
	fx := newSyncFixture(t, 2)
	main := fx.commitOrigin(t, "main", "a.txt")
	fx.commitOrigin(t, "feature", "f.txt")
	var wg sync.WaitGroup
	res := make([]runOut, 2)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = fx.sync(t, SyncOptions{})
		}()
	}
	wg.Wait()
	for i, r := range res {
		if r.code != ExitOK {
			t.Fatalf("sync %d: exit %d\n%s%s", i, r.code, r.out, r.errOut)
		}
	}
	for i := range fx.mirrors {
		assertRef(t, fx.mirrorPath(i), "refs/heads/main", main)
		gittest.Git(t, fx.mirrorPath(i), "fsck", "--no-progress")
	}
	cache := filepath.Join(os.Getenv("XDG_DATA_HOME"), "git-federate", "demo.git")
	gittest.Git(t, cache, "fsck", "--no-progress")
}

// The command line, run as the installed binary: flags, exit statuses.
func TestSyncCommandLine(t *testing.T) {
	fx := newSyncFixture(t, 2)
	main := fx.commitOrigin(t, "main", "a.txt")
	bin := filepath.Join(gittest.BinDir(t), "git-federate")
	run := func(args ...string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := run("sync"); code != ExitUsage {
		t.Errorf("sync without names: exit %d, want 2\n%s", code, out)
	}
	if code, out := run("sync", "nosuch"); code != ExitUsage {
		t.Errorf("sync of an unknown federation: exit %d, want 2\n%s", code, out)
	}
	// A flag after a name is still a flag: this must be a dry run, not a push.
	if code, out := run("sync", "demo", "--dry-run"); code != ExitOK || !strings.Contains(out, "dry run: nothing pushed") {
		t.Errorf("flag after a name: exit %d, want 0 and a dry run\n%s", code, out)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", gittest.RefOf(t, fx.work, "HEAD~1"))
	if code, out := run("status", "--exit-code", "demo"); code != ExitFailure {
		t.Errorf("status --exit-code when behind: exit %d, want 1\n%s", code, out)
	}
	if code, out := run("sync", "--all", "--jobs", "2"); code != ExitOK {
		t.Fatalf("sync --all: exit %d\n%s", code, out)
	}
	assertRef(t, fx.mirrorPath(1), "refs/heads/main", main)
	if code, out := run("status", "--exit-code"); code != ExitOK {
		t.Errorf("status --exit-code when in sync: exit %d, want 0\n%s", code, out)
	}
}

// A GIT_DIR inherited from a hook or a remote helper must not redirect
// the cache's commands into the user's repository.
func TestSyncIgnoresInheritedGitDir(t *testing.T) {
	fx := newSyncFixture(t, 1)
	main := fx.commitOrigin(t, "main", "a.txt")
	t.Setenv("GIT_DIR", filepath.Join(fx.work, ".git"))
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("sync exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", main)
}
