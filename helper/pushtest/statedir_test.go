package pushtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// The pending queue's directory, $GIT_DIR/federate, is private to the
// user when a push creates it to queue what two unreachable mirrors
// missed, and one an earlier version left open (0755) is closed by the
// next push that queues.
func TestQueueDirectoryIsPrivate(t *testing.T) {
	f := newFed(t)
	for _, m := range []server{f.m1, f.m2} {
		m.AddFault(gittest.Fault{Prefix: "/app.git", Status: 503, Body: "repository is being read or written"})
	}
	dir := filepath.Join(f.work, ".git", "federate")
	wantPrivate := func(when string) {
		t.Helper()
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("%s: %s has mode %v, want 0700", when, dir, perm)
		}
	}
	f.commit("a.txt", "while the mirrors are down")
	wantContains(t, f.push(true, "fed", "main"), "federate: 2 updates queued in")
	wantPrivate("created by the queue")

	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f.commit("b.txt", "still down")
	wantContains(t, f.push(true, "fed", "main"), "queued in")
	wantPrivate("left 0755 before")
}
