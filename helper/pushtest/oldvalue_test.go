package pushtest

import (
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// Two forced pushes a mirror misses in a row, with a sync between that
// fails on it too: the queued update keeps the value the mirror holds as
// its old value, whether the mirror could be listed (its listed value)
// or not (the first queued update's old value: the mirror never got the
// value in between). The revert of the first old-value queue came from
// an entry whose old value was the first push's result.
func TestMissedForcedPushesKeepTheMirrorsOldValue(t *testing.T) {
	for _, c := range []struct {
		name string
		// miss makes m1 miss the pushes.
		miss func(f *fed)
	}{
		{"listed, its hook declines", func(f *fed) { hook(t, f.m1.Path, "pre-receive", declines) }},
		{"not even listed", func(f *fed) {
			f.m1.AddFault(gittest.Fault{Prefix: "/app.git", Status: 500, Body: "down for maintenance"})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFed(t)
			base := f.rev("main")
			c.miss(f)
			f.commit("a.txt", "first")
			f.push(true, "fed", "main")
			if e := f.queued(f.m1.URL, "refs/heads/main"); e.Old != base {
				t.Fatalf("after the first push: old value %q, want m1's %s", e.Old, base)
			}
			// Sync handles the entry (m1 still misses it) before the
			// second push.
			if out, err := gittest.GitCombined(f.work, nil, "federate", "sync", "fed"); err == nil {
				t.Fatalf("sync with m1 missing it succeeded:\n%s", out)
			}
			mustGit(t, f.work, "commit", "-q", "--amend", "-m", "first, rewritten")
			rewritten := f.rev("main")
			f.push(true, "--force", "fed", "main")
			f.wantRef("refs/heads/main", rewritten, f.origin, f.m2)
			f.wantRef("refs/heads/main", base, f.m1)
			e := f.queued(f.m1.URL, "refs/heads/main")
			if e.OID != rewritten || !e.Force || e.Old != base {
				t.Fatalf("queued %+v, want the forced %s with m1's old value %s", e, rewritten, base)
			}
		})
	}
}

// declines is a pre-receive hook that refuses every push.
const declines = "cat >/dev/null\necho closed for now >&2\nexit 1\n"

// A mirror whose ref someone else moved (another working copy's queue
// delivered to it, or a push to the mirror itself) is listed by the
// push: the update it misses is queued with the value it holds, not the
// old value this repository queued first.
func TestQueuedOldValueIsTheMirrorsListedValue(t *testing.T) {
	f := newFed(t)
	hook(t, f.m1.Path, "pre-receive", declines)
	f.commit("a.txt", "first")
	f.push(true, "fed", "main")
	moved := f.rev("main")
	// Another working copy's delivery moves m1's main meanwhile.
	hook(t, f.m1.Path, "pre-receive", "cat >/dev/null\n")
	mustGit(t, f.work, "push", "-q", f.m1.Path, "main")
	hook(t, f.m1.Path, "pre-receive", declines)
	f.commit("b.txt", "second")
	f.push(true, "fed", "main")
	if e := f.queued(f.m1.URL, "refs/heads/main"); e.OID != f.rev("main") || e.Old != moved {
		t.Fatalf("queued %+v, want old value %s (m1's, as listed)", e, moved)
	}
}

// The detached delivery of mirrorPush = background lists the mirror it
// pushes: an update the mirror refuses is queued with the mirror's own
// value as its old value, not origin's before the push (written ahead).
func TestBackgroundQueuesTheMirrorsOldValue(t *testing.T) {
	f := newFed(t, "federation.fed.mirrorPush", "background")
	base := f.rev("main")
	mustGit(t, f.work, "checkout", "-q", "-b", "side")
	moved := f.commit("m.txt", "only on m1")
	mustGit(t, f.work, "push", "-q", f.m1.Path, "side:main")
	mustGit(t, f.work, "checkout", "-q", "main")
	hook(t, f.m1.Path, "pre-receive", declines)
	tip := f.commit("a.txt", "one")
	f.push(true, "fed", "main")
	f.delivered(1)
	f.wantRef("refs/heads/main", tip, f.origin, f.m2)
	if e := f.queued(f.m1.URL, "refs/heads/main"); e.OID != tip || e.Old != moved {
		t.Fatalf("queued %+v, want old value %s (m1's own; origin had %s)", e, moved, base)
	}
}
