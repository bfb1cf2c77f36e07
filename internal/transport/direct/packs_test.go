package direct

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A pack file left by a push that was killed is removed by a later push;
// one that a push running now may still be sending is kept.
func TestStalePacksRemoved(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	old := filepath.Join(dir, "pack-1.tmp")
	fresh := filepath.Join(dir, "pack-2.tmp")
	other := filepath.Join(dir, "pending")
	for _, name := range []string{old, fresh, other} {
		if err := os.WriteFile(name, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{old, other} {
		if err := os.Chtimes(name, now.Add(-48*time.Hour), now.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	removeStalePacks(dir, now)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the stale pack is still there (%v)", err)
	}
	for _, name := range []string{fresh, other} {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(name), err)
		}
	}
}
