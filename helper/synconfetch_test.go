//go:build unix

package helper

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// With syncOnFetch, a fetch from the origin starts a background sync that
// brings the mirrors up to date; git itself does not wait for it.
func TestSyncOnFetch(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFixture(t, tr, "syncOnFetch=true")
			dst := mustClone(t, f)
			log := filepath.Join(dst, ".git", "federate", SyncLogName)
			// The clone fetched from the origin too: wait for its sync
			// to end before changing anything.
			waitFor(t, log, func() bool { b, _ := os.ReadFile(log); return len(b) > 0 && !syncRunning(t, f) })

			before, _ := os.ReadFile(log)
			gittest.Git(t, dst, "ls-remote", "origin")
			if after, _ := os.ReadFile(log); len(after) != len(before) || syncRunning(t, f) {
				t.Errorf("ls-remote started a sync (it lists, it does not fetch):\n%s", after)
			}

			head := gittest.Commit(t, f.work, "new.txt", "new\n", "origin moves")
			f.seed(f.origin)
			out, err := gittest.GitCombined(dst, nil, "fetch")
			if err != nil {
				t.Fatalf("fetch: %v\n%s", err, out)
			}
			waitFor(t, log, func() bool {
				for _, m := range f.mirrors {
					if gittest.RefOf(t, m.path, "refs/heads/main") != head {
						return false
					}
				}
				return true
			})
			after, _ := os.ReadFile(log)
			if len(after) <= len(before) {
				t.Errorf("sync.log did not grow with the fetch's sync:\n%s", after)
			}
		})
	}
}

// syncRunning reports whether a sync of app holds its lock.
func syncRunning(t *testing.T, f *fixture) bool {
	lock := filepath.Join(os.Getenv("XDG_DATA_HOME"), "git-federate", "app.lock")
	fh, err := os.Open(lock)
	if err != nil {
		return false
	}
	defer fh.Close()
	return !tryLock(fh)
}

// waitFor polls cond for up to a minute; the background sync has no other
// signal. It fails the test, showing the sync log, if cond never holds.
func waitFor(t *testing.T, log string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log)
			t.Fatalf("background sync did not bring the mirrors up to date; its log:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
