package pushtest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// forcedWhileDown rewinds and moves main on origin with a forced push
// through federate:: while m1 refuses pushes: m1 keeps first, and its
// queued update keeps first as the old value it is expected to hold.
// It returns first and the forced value.
func forcedWhileDown(t *testing.T, f *fed) (first, forced string) {
	t.Helper()
	first = f.commit("a.txt", "first")
	f.push(true, "fed", "main")
	f.m1.AddFault(gittest.Fault{Prefix: "/app.git", Status: 503, Body: "repository is being read or written", PushOnly: true})
	mustGit(t, f.work, "reset", "-q", "--hard", "HEAD~1")
	forced = f.commit("b.txt", "instead of first")
	f.push(true, "-f", "fed", "main")
	f.wantRef("refs/heads/main", forced, f.origin, f.m2)
	f.wantRef("refs/heads/main", first, f.m1)
	if p := f.pendingFile(); !strings.Contains(p, f.m1.URL+"\trefs/heads/main\t"+forced+"\t"+first+"\tforce\t") {
		t.Fatalf("pending, want m1's forced main with its old value %s:\n%s", first, p)
	}
	f.m1.ClearFaults()
	return first, forced
}

// A forced push a mirror missed is not delivered over a commit someone
// pushed to that mirror directly since: neither the next push through
// federate:: nor `git federate sync` in the repository (after that push,
// or on its own) overwrites it; the ref is reported as diverged and stays
// queued with its old value.
func TestMissedForcedUpdateKeepsTheMirrorsNewCommit(t *testing.T) {
	for _, by := range []string{"push and sync", "sync"} {
		t.Run(by, func(t *testing.T) {
			f := newFed(t)
			first, forced := forcedWhileDown(t, f)
			// Someone pushes to m1 itself, on top of what it has.
			direct := filepath.Join(t.TempDir(), "direct")
			gittest.Git(t, "", "clone", "-q", f.m1.Path, direct)
			theirs := gittest.Commit(t, direct, "theirs.txt", "theirs\n", "pushed to the mirror")
			gittest.Git(t, direct, "push", "-q", "origin", "main")
			wantQueued := func(after string) {
				t.Helper()
				p := f.pendingFile()
				if !strings.Contains(p, f.m1.URL+"\trefs/heads/main\t"+forced+"\t"+first+"\tforce\t") ||
					!strings.HasSuffix(p, "\t"+pending.ReasonDiverged.String()+"\n") || strings.Count(p, "\n") != 2 {
					t.Fatalf("pending after %s, want m1's main kept queued as diverged with its old value:\n%s", after, p)
				}
			}

			if by == "push and sync" {
				mustGit(t, f.work, "branch", "later")
				out := f.push(true, "fed", "later")
				wantContains(t, out, "federate: mirror "+f.m1.URL+": ", pending.ReasonDiverged.String())
				f.wantRef("refs/heads/main", theirs, f.m1)
				f.wantRef("refs/heads/later", forced, f.all()...)
				wantQueued("the push")
			}

			// Sync fails: the mirror is not in sync, and it says why.
			out, _ := gittest.GitCombined(f.work, nil, "federate", "sync", "fed")
			f.checkNoSecrets(out)
			wantContains(t, out, "1 queued update(s) still refused: "+pending.ReasonDiverged.String(),
				"keep    diverged  refs/heads/main", "error: not every mirror is in sync")
			f.wantRef("refs/heads/main", theirs, f.m1)
			f.wantRef("refs/heads/main", forced, f.origin, f.m2)
			wantQueued("sync")
		})
	}
}

// A mirror that still has the old value gets the missed forced update,
// from the next push as from `git federate sync`.
func TestMissedForcedUpdateIsForcedOnTheOldValue(t *testing.T) {
	for _, by := range []string{"push", "sync"} {
		t.Run(by, func(t *testing.T) {
			f := newFed(t)
			_, forced := forcedWhileDown(t, f)
			if by == "push" {
				mustGit(t, f.work, "branch", "later")
				out := f.push(true, "fed", "later")
				wantNotContains(t, out, pending.ReasonDiverged.String())
			} else if out, err := gittest.GitCombined(f.work, nil, "federate", "sync", "fed"); err != nil {
				t.Fatalf("git federate sync: %v\n%s", err, out)
			}
			f.wantRef("refs/heads/main", forced, f.all()...)
			if p := f.pendingFile(); p != "" {
				t.Errorf("pending after the %s:\n%s", by, p)
			}
		})
	}
}
