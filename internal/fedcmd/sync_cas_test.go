package fedcmd

import (
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// Every mirror update of sync is a compare-and-swap on the value sync
// listed: when another machine moves a mirror ref between sync's listing
// and its push, the push is refused as stale instead of overwriting it,
// and the next sync works from the new value. Here with force (which
// would overwrite anything) and a create (which must fail when the ref
// appeared meanwhile).
func TestSyncIsCompareAndSwap(t *testing.T) {
	fx := newSyncFixture(t, 1)
	gittest.Git(t, "", "config", "--global", "federation.demo.force", "true")
	seed := gittest.RefOf(t, fx.mirrorPath(0), "refs/heads/main")
	origin := fx.commitOrigin(t, "main", "a.txt")
	feat := fx.commitOrigin(t, "feat", "f.txt")
	fx.divergeMirror(t, 0, "main") // sync plans a forced update of main and a create of feat

	// Another machine's sync lands just before ours pushes.
	var other error
	mirror := fx.mirrorPath(0)
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/git-receive-pack", Count: 1, Hook: func(*http.Request) {
		for _, ref := range []string{"refs/heads/main", "refs/heads/feat"} {
			if out, err := exec.Command("git", "-C", mirror, "update-ref", ref, seed).CombinedOutput(); err != nil {
				other = errors.Join(other, errors.New(string(out)))
			}
		}
	}})
	r := fx.sync(t, SyncOptions{})
	if other != nil {
		t.Fatal(other)
	}
	if r.code != ExitPartial {
		t.Fatalf("a sync that lost the race: exit %d, want 3\n%s\n%s", r.code, r.out, r.errOut)
	}
	assertRef(t, mirror, "refs/heads/main", seed) // the other machine's value survives
	assertRef(t, mirror, "refs/heads/feat", seed)
	// git's own lease check ("stale info"), or the server's ("but
	// expected"), when the ref moved after git push listed it.
	if !strings.Contains(r.out+r.errOut, "stale") && !strings.Contains(r.out+r.errOut, "but expected") {
		t.Errorf("the refusal does not say the mirror moved:\n%s\n%s", r.out, r.errOut)
	}

	fx.srv.ClearFaults()
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("the next sync: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	assertRef(t, mirror, "refs/heads/main", origin)
	assertRef(t, mirror, "refs/heads/feat", feat)
}

// Two machines (two cache directories, no shared lock) syncing the same
// federation at once, round after round while origin is rewritten: every
// run ends in sync or refused as stale, and the mirror ends each round at
// origin's value, never at an older one.
func TestSyncRacingFromTwoCaches(t *testing.T) {
	fx := newSyncFixture(t, 1)
	gittest.Git(t, "", "config", "--global", "federation.demo.force", "true")
	caches := []string{t.TempDir(), t.TempDir()}
	for round := range 3 {
		gittest.Git(t, fx.work, "checkout", "-q", "-B", "main")
		gittest.Git(t, fx.work, "commit", "-q", "--amend", "-m", "rewritten "+string(rune('a'+round)))
		gittest.Git(t, fx.work, "push", "-q", "-f", fx.srv.Path("origin.git"), "main")
		want := gittest.RefOf(t, fx.srv.Path("origin.git"), "refs/heads/main")
		results := make(chan runOut, len(caches))
		for _, dir := range caches {
			go func() {
				f := *fx
				f.env.CacheRoot = dir
				results <- f.sync(t, SyncOptions{})
			}()
		}
		for range caches {
			if r := <-results; r.code != ExitOK && r.code != ExitPartial {
				t.Fatalf("round %d: exit %d\n%s\n%s", round, r.code, r.out, r.errOut)
			}
		}
		assertRef(t, fx.mirrorPath(0), "refs/heads/main", want)
	}
}
