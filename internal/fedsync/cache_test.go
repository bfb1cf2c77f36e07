package fedsync

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// ensure removes what a killed git leaves (locks, temporary packs) and
// nothing else, and completes a cache whose setup was interrupted.
func TestCacheEnsureCleansStaleFiles(t *testing.T) {
	gittest.Isolate(t)
	dir := filepath.Join(t.TempDir(), "demo.git")
	c := &cache{dir: dir, git: gitexec.Runner{Dir: dir}}
	ctx := context.Background()
	if err := c.ensure(ctx); err != nil {
		t.Fatal(err)
	}
	stale := []string{"packed-refs.lock", "config.lock", "refs/heads/main.lock", "objects/pack/tmp_pack_1", "objects/info/commit-graphs.lock"}
	keep := []string{"refs/heads/tmp_branch", "HEAD", "config"}
	if err := os.MkdirAll(filepath.Join(dir, "refs/heads"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range stale {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "refs/heads/tmp_branch"), []byte("0123456789012345678901234567890123456789\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.ensure(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s survived: %v", f, err)
		}
	}
	for _, f := range keep {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s removed: %v", f, err)
		}
	}
	// A setup killed before it finished is completed.
	gittest.Git(t, dir, "config", "--unset", "federate.cache")
	if err := c.ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, dir, "config", "repack.writeBitmaps"); got != "true" {
		t.Errorf("repack.writeBitmaps = %q", got)
	}
}
