package fedsync

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/lockfile"
)

// A symlink planted in the cache directory must not make sync write
// through it: neither the lock (which sync truncates to record its pid)
// nor the cache repository may follow one.
func TestSyncRefusesSymlinksInTheCacheDir(t *testing.T) {
	gittest.Isolate(t)
	root := t.TempDir()
	e, err := New(Config{Git: gitexec.Runner{Env: os.Environ()}, CacheRoot: root, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	precious := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(precious, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(precious, e.lockPath("demo")); err != nil {
		t.Fatal(err)
	}
	if l, err := e.lock(context.Background(), "demo"); !errors.Is(err, lockfile.ErrSymlink) {
		if err == nil {
			l.release()
		}
		t.Errorf("lock through a symlink = %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(precious); string(b) != "keep me\n" {
		t.Fatalf("sync's lock truncated the file its symlink points to: now %q", b)
	}

	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, e.CachePath("other")); err != nil {
		t.Fatal(err)
	}
	c := &cache{dir: e.CachePath("other"), git: gitexec.Runner{Dir: e.CachePath("other")}}
	if err := c.ensure(context.Background()); !errors.Is(err, lockfile.ErrSymlink) {
		t.Errorf("cache through a symlink = %v, want a refusal", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("a cache was written where the symlink points: %v", entries)
	}
}
