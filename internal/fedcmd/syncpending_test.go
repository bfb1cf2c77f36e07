package fedcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// A sync run in a repository settles what its pushes queued: covered refs
// are carried by sync itself, the rest is pushed from the repository.
func TestSyncSettlesThePendingQueue(t *testing.T) {
	fx := newSyncFixture(t, 1)
	main := fx.commitOrigin(t, "main", "a.txt")
	// A note ref sync does not cover, and a branch origin deleted, both
	// queued by an earlier push that origin took and the mirror refused.
	gittest.Git(t, fx.work, "notes", "add", "-m", "reviewed", "HEAD")
	notes := gittest.Git(t, fx.work, "rev-parse", "refs/notes/commits")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), "refs/notes/commits")
	gittest.Git(t, fx.work, "push", "-q", fx.mirrorPath(0), "HEAD~1:refs/heads/gone")
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	mirror := fx.mirrors[0]
	if err := q.Add(t.Context(),
		pending.Entry{Mirror: mirror, Ref: "refs/heads/main", OID: main},
		pending.Entry{Mirror: mirror, Ref: "refs/notes/commits", OID: notes},
		pending.Entry{Mirror: mirror, Ref: "refs/heads/gone"},
	); err != nil {
		t.Fatal(err)
	}

	fx.env.Dir = fx.work
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitOK {
		t.Fatalf("sync exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", main)
	assertRef(t, fx.mirrorPath(0), "refs/notes/commits", notes)
	assertRef(t, fx.mirrorPath(0), "refs/heads/gone", "")
	if left, err := q.Load(); err != nil || len(left) != 0 {
		t.Fatalf("queue after sync: %v, %v", left, err)
	}
}

// A queued update the mirror still refuses stays queued, and sync says so:
// a note ref origin took that the mirror has other commits on.
func TestSyncKeepsRefusedPendingUpdates(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.commitOrigin(t, "main", "a.txt")
	gittest.Git(t, fx.work, "notes", "add", "-m", "on the mirror", "HEAD~1")
	gittest.Git(t, fx.work, "push", "-q", fx.mirrorPath(0), "refs/notes/commits")
	onMirror := gittest.Git(t, fx.work, "rev-parse", "refs/notes/commits")
	gittest.Git(t, fx.work, "update-ref", "-d", "refs/notes/commits")
	gittest.Git(t, fx.work, "notes", "add", "-m", "reviewed", "HEAD")
	notes := gittest.Git(t, fx.work, "rev-parse", "refs/notes/commits")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), "refs/notes/commits")
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[0], Ref: "refs/notes/commits", OID: notes}); err != nil {
		t.Fatal(err)
	}
	fx.env.Dir = fx.work
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitOK {
		t.Fatalf("sync exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if !strings.Contains(r.errOut, "queued update(s) still refused") {
		t.Errorf("sync did not report the refused queued update:\n%s", r.errOut)
	}
	left, _ := q.Load()
	if len(left) != 1 {
		t.Fatalf("queue after sync: %v, want the refused entry kept", left)
	}
	// The failed delivery counts as an attempt and its reason is kept for
	// `git federate status`, worded as a push's fan-out words it, with
	// the mirror's value as sync listed it as the old value.
	if left[0].Attempts != 2 || left[0].Reason != pending.ReasonDiverged.String() || left[0].Old != onMirror {
		t.Fatalf("entry after a failed delivery: %+v, want 2 attempts, %q and old value %s", left[0], pending.ReasonDiverged, onMirror)
	}
}

// Sync settles the queue without acting as the user's push: the
// repository's pre-push hook does not run and push.followTags does not
// send the repository's other tags.
func TestSyncSettlesWithoutTheUsersHooksOrFollowTags(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.commitOrigin(t, "main", "a.txt")
	gittest.Git(t, fx.work, "checkout", "-q", "-b", "review")
	review := gittest.Commit(t, fx.work, "r.txt", "r\n", "under review")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), "HEAD:refs/review/1")
	gittest.Git(t, fx.work, "tag", "-a", "-m", "local", "local-only")
	gittest.Git(t, fx.work, "config", "push.followTags", "true")
	marker := filepath.Join(t.TempDir(), "pre-push-ran")
	hook := filepath.Join(fx.work, ".git", "hooks", "pre-push")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\ntouch '"+marker+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[0], Ref: "refs/review/1", OID: review}); err != nil {
		t.Fatal(err)
	}

	fx.env.Dir = fx.work
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitOK {
		t.Fatalf("sync exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/review/1", review)
	if left, err := q.Load(); err != nil || len(left) != 0 {
		t.Fatalf("queue after sync: %v, %v", left, err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("sync ran the repository's pre-push hook")
	}
	assertRef(t, fx.mirrorPath(0), "refs/tags/local-only", "")
}

// A tag and a branch force-moved by a push that the mirror missed are
// queued with force; sync run in that repository forces them on the
// mirror too, as the push's own retry would, though sync alone keeps
// what only a mirror has (force = false). (The chaos soak found mirrors
// left at the old values after every sync.) A sync run elsewhere, with
// no queue, still keeps them, and says a tag points elsewhere rather
// than that it has commits.
func TestSyncForcesQueuedForcedUpdates(t *testing.T) {
	fx := newSyncFixture(t, 1)
	first := fx.commitOrigin(t, "main", "a.txt")
	gittest.Git(t, fx.work, "tag", "rel")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), "rel")
	gittest.Git(t, fx.work, "push", "-q", fx.mirrorPath(0), "main", "rel")
	// Origin's main and rel are then rewound and moved (forced); the
	// mirror missed it, and the push queued both with force.
	gittest.Git(t, fx.work, "reset", "-q", "--hard", "HEAD~1")
	main := gittest.Commit(t, fx.work, "b.txt", "b\n", "instead of a")
	gittest.Git(t, fx.work, "tag", "-f", "rel")
	gittest.Git(t, fx.work, "push", "-q", "-f", fx.srv.Path("origin.git"), "main", "rel")
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	mirror := fx.mirrors[0]
	if err := q.Add(t.Context(),
		pending.Entry{Mirror: mirror, Ref: "refs/heads/main", OID: main, Force: true},
		pending.Entry{Mirror: mirror, Ref: "refs/tags/rel", OID: main, Force: true},
	); err != nil {
		t.Fatal(err)
	}

	elsewhere := fx.sync(t, SyncOptions{})
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", first)
	assertRef(t, fx.mirrorPath(0), "refs/tags/rel", first)
	if !strings.Contains(elsewhere.out, "refs/tags/rel") || !strings.Contains(elsewhere.out, "(the mirror's tag points elsewhere; --force overwrites it)") ||
		strings.Contains(elsewhere.out, "rel  "+first[:10]+" → "+main[:10]+"  (commits only on the mirror") {
		t.Errorf("sync outside the repository, on the kept tag:\n%s", elsewhere.out)
	}

	fx.env.Dir = fx.work
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitOK {
		t.Fatalf("sync exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", main)
	assertRef(t, fx.mirrorPath(0), "refs/tags/rel", main)
	if left, err := q.Load(); err != nil || len(left) != 0 {
		t.Fatalf("queue after sync: %v, %v", left, err)
	}
}

// A queued update that was not forced does not make sync overwrite what
// only the mirror has.
func TestSyncKeepsDivergedRefWithUnforcedQueuedUpdate(t *testing.T) {
	fx := newSyncFixture(t, 1)
	main := fx.commitOrigin(t, "main", "a.txt")
	gittest.Git(t, fx.work, "push", "-q", fx.mirrorPath(0), "main")
	only := fx.divergeMirror(t, 0, "main")
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[0], Ref: "refs/heads/main", OID: main}); err != nil {
		t.Fatal(err)
	}
	fx.env.Dir = fx.work
	fx.sync(t, SyncOptions{})
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", only)
}

// A branch deleted on origin while the mirror was down, then pushed anew
// from another working copy: the mirror still has the old history, which
// no fast-forward replaces. A sync in the repository whose queue holds
// the missed delete, with the mirror's old value, forces origin's new
// value there; a mirror whose branch moved to a commit of its own since
// is kept. (Found by the chaos soak: the branch stayed at its old history
// on that mirror after every sync.)
func TestSyncForcesPastAMissedDelete(t *testing.T) {
	for _, moved := range []bool{false, true} {
		fx := newSyncFixture(t, 1)
		fx.commitOrigin(t, "main", "a.txt")
		old := fx.commitOrigin(t, "topic", "t.txt")
		gittest.Git(t, fx.work, "push", "-q", fx.mirrorPath(0), "main", "topic")
		want := old
		if moved {
			want = fx.divergeMirror(t, 0, "topic")
		}
		// Origin deletes topic (the mirror misses it; the push queues the
		// delete with the mirror's value), then gets a new topic.
		gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), ":topic")
		q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
		if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[0], Ref: "refs/heads/topic", Old: old, Force: true}); err != nil {
			t.Fatal(err)
		}
		gittest.Git(t, fx.work, "checkout", "-q", "--orphan", "anew", "main")
		anew := gittest.Commit(t, fx.work, "n.txt", "n\n", "topic anew")
		gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), "anew:topic")
		if !moved {
			want = anew
		}

		fx.env.Dir = fx.work
		r := fx.sync(t, SyncOptions{})
		assertRef(t, fx.mirrorPath(0), "refs/heads/topic", want)
		if !moved && r.code != ExitOK {
			t.Errorf("sync exit %d\n%s\n%s", r.code, r.out, r.errOut)
		}
		if moved && !strings.Contains(r.out, "keep    diverged  refs/heads/topic") {
			t.Errorf("the mirror's own commit on topic: want it kept and reported\n%s", r.out)
		}
	}
}
