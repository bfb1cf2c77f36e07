package fedcmd

import (
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
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

// A push reaches origin first and the mirrors after. A sync whose listing
// of origin is answered just before such a push, and whose listing of a
// mirror just after, sees on the mirror what origin's answer lacks; the
// compare-and-swap does not help, since the mirror still has the value
// listed. So prune must not delete the pushed branch, nor force rewind
// the pushed main to origin's older value: the sync lists origin again
// before either, and leaves both to the next sync, which finds them in
// sync. Here the push lands while the mirror's listing under sync's
// lock waits, after origin's was answered.
func TestSyncDoesNotUndoAPushMadeWhileItListed(t *testing.T) {
	fx := newSyncFixture(t, 1)
	gittest.Git(t, "", "config", "--global", "federation.demo.prune", "true")
	gittest.Git(t, "", "config", "--global", "federation.demo.force", "true")
	fx.commitOrigin(t, "first", "first.txt") // work for a first sync, which fills the sync cache
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("first sync: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	todo := fx.commitOrigin(t, "todo", "todo.txt") // work for the sync: it lists again under its lock
	originPath, mirror := fx.srv.Path("origin.git"), fx.mirrorPath(0)

	// The push of another machine: main moved on, and a new branch.
	gittest.Git(t, fx.work, "checkout", "-q", "main")
	main := gittest.Commit(t, fx.work, "pushed.txt", "pushed\n", "pushed while sync listed")
	var mu sync.Mutex
	listings, pushErr := 0, error(nil)
	push := func() error {
		for _, repo := range []string{originPath, mirror} { // origin first, as federate pushes
			out, err := exec.Command("git", "-C", fx.work, "push", "-q", repo, "main", "main:refs/heads/new").CombinedOutput()
			if err != nil {
				return fmt.Errorf("push to %s: %v\n%s", repo, err, out)
			}
		}
		return nil
	}
	answered := func() int { // origin's listings answered so far
		n := 0
		for _, r := range fx.srv.Requests() {
			if r.Path == "/origin.git/info/refs" && strings.Contains(r.Query, "upload-pack") && !r.End.IsZero() {
				n++
			}
		}
		return n
	}
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/info/refs", Hook: func(*http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if listings++; listings != 2 { // the second: the listing under the lock
			return
		}
		for deadline := time.Now().Add(30 * time.Second); answered() < 2 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		pushErr = push()
	}})
	r := fx.sync(t, SyncOptions{JSON: true})
	mu.Lock()
	if pushErr != nil || listings < 2 {
		t.Fatalf("the push during the listing (listings %d): %v", listings, pushErr)
	}
	mu.Unlock()
	if r.code != ExitOK {
		t.Fatalf("sync: exit %d, want 0\n%s\n%s", r.code, r.out, r.errOut)
	}
	assertRef(t, mirror, "refs/heads/todo", todo) // the work it had is done
	assertRef(t, mirror, "refs/heads/main", main) // not rewound
	assertRef(t, mirror, "refs/heads/new", main)  // not deleted
	rep := decodeReport(t, r.out)
	for _, ref := range []string{"refs/heads/main", "refs/heads/new"} {
		if _, action, _ := rep.refState(0, ref); action != string(fedsync.ActKeep) {
			t.Errorf("%s: action %q, want keep\n%s", ref, action, r.out)
		}
	}
	if !strings.Contains(r.out, fedsync.ReasonOriginMoved.String()) {
		t.Errorf("the report does not say origin moved:\n%s", r.out)
	}

	fx.srv.ClearFaults()
	again := fx.sync(t, SyncOptions{})
	if again.code != ExitOK || !strings.Contains(again.out, "in sync") || strings.Contains(again.out, "delete") {
		t.Fatalf("the next sync: exit %d, want 0 and in sync\n%s\n%s", again.code, again.out, again.errOut)
	}
}
