package pushtest

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// Two `git push` through the same federation at once, from two clones,
// while a sync runs: every update lands on every server, nothing stays
// queued, and every repository passes fsck.
func TestConcurrentPushesAndSync(t *testing.T) {
	f := newFed(t)
	other := filepath.Join(t.TempDir(), "other")
	mustGit(t, "", "clone", "-q", f.origin.Path, other)
	mustGit(t, other, "remote", "add", "fed", "federate::fed")
	mustGit(t, f.work, "checkout", "-q", "-b", "a")
	a := f.commit("a.txt", "a")
	mustGit(t, other, "checkout", "-q", "-b", "b")
	b := gittest.Commit(t, other, "b.txt", "b\n", "b")

	var wg sync.WaitGroup
	outs := make([]string, 3)
	errs := make([]error, 3)
	for i, run := range []func() (string, error){
		func() (string, error) { return gittest.GitCombined(f.work, nil, "push", "fed", "a") },
		func() (string, error) { return gittest.GitCombined(other, nil, "push", "fed", "b") },
		func() (string, error) { return gittest.GitCombined(f.work, nil, "federate", "sync", "fed") },
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = run()
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("push %d: %v\n%s", i, errs[i], outs[i])
		}
		f.checkNoSecrets(outs[i])
	}
	// The sync may have run before either push reached origin; it must
	// not fail because of them.
	if errs[2] != nil {
		t.Fatalf("sync during the pushes: %v\n%s", errs[2], outs[2])
	}
	f.wantRef("refs/heads/a", a, f.all()...)
	f.wantRef("refs/heads/b", b, f.all()...)
	if p := f.pendingFile(); p != "" {
		t.Errorf("queued after concurrent pushes:\n%s", p)
	}
	for _, s := range f.all() {
		fsckClean(t, s.Path)
	}
	fsckClean(t, f.work)
	fsckClean(t, other)
}
