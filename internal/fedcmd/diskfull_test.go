//go:build linux

package fedcmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mountTmpfs mounts a tmpfs of size at a new directory, unmounted when the
// test ends. It needs root (CI runs as root); elsewhere the test is
// skipped, and says why.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a size-limited tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if exec.Command("umount", dir).Run() != nil {
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// The sync cache on a full disk: sync fails saying so, the cache stays
// usable, and once there is room the next sync completes.
func TestSyncDiskFull(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.env.CacheRoot = mountTmpfs(t, "2m")
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("first sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	c := fx.bigOriginCommit(t, "main", 3<<20)
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitFailure || !strings.Contains(strings.ToLower(r.out+r.errOut), "no space left on device") {
		t.Fatalf("sync on a full disk: exit %d, want %d saying the disk is full\n%s%s", r.code, ExitFailure, r.out, r.errOut)
	}
	// The cache is intact: no ref points at a missing object.
	caches, _ := filepath.Glob(filepath.Join(fx.env.CacheRoot, "*.git"))
	if len(caches) != 1 {
		t.Fatalf("caches: %v", caches)
	}
	fsckClean(t, caches[0])
	if out, err := exec.Command("mount", "-o", "remount,size=64m", fx.env.CacheRoot).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v\n%s", err, out)
	}
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("sync with room again: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", c)
}
