package pushtest

import (
	"net/url"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/keystore"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

func TestPushLandsOnOriginAndMirrors(t *testing.T) {
	f := newFed(t)
	mustGit(t, f.work, "branch", "feature")
	c := f.commit("a.txt", "second")
	out := f.push(true, "fed", "main", "feature")
	f.wantRef("refs/heads/main", c, f.all()...)
	f.wantRef("refs/heads/feature", f.rev("feature"), f.all()...)
	wantContains(t, out, "federate: pushing 2 refs to 2 mirrors",
		"federate: mirror "+f.m1.URL+": ok", "federate: mirror "+f.m2.URL+": ok",
		"To federate::fed", "* [new branch]      feature -> feature")
	if n, m := reportLines(out, "main"), reportLines(out, "feature"); n != 1 || m != 1 {
		t.Errorf("report lines: main %d, feature %d; want 1 each\n%s", n, m, out)
	}
	if p := f.pendingFile(); p != "" {
		t.Errorf("pending after a clean push:\n%s", p)
	}
}

func TestPushWhenRemoteHasExtraRefs(t *testing.T) {
	f := newFed(t)
	// Someone else pushed a branch we do not have, everywhere.
	other := gittest.NewWorkRepo(t)
	gittest.Commit(t, other, "o.txt", "o\n", "other work")
	for _, s := range f.all() {
		gittest.Git(t, other, "push", "-q", "--force", s.Path, "HEAD:refs/heads/theirs")
	}
	c := f.commit("a.txt", "mine")
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", c, f.all()...)
	f.wantRef("refs/heads/theirs", gittest.Git(t, other, "rev-parse", "HEAD"), f.all()...)
}

func TestPushRefspecForms(t *testing.T) {
	f := newFed(t)
	mustGit(t, f.work, "checkout", "-q", "-b", "topic")
	topic := f.commit("t.txt", "topic work")

	out := f.push(true, "fed", "topic")
	wantContains(t, out, "* [new branch]      topic -> topic")
	f.wantRef("refs/heads/topic", topic, f.all()...)

	main := f.rev("main")
	out = f.push(true, "fed", "main:renamed")
	wantContains(t, out, "* [new branch]      main -> renamed")
	f.wantRef("refs/heads/renamed", main, f.all()...)

	out = f.push(true, "fed", "HEAD:refs/heads/from-head")
	wantContains(t, out, "* [new branch]      HEAD -> from-head")
	f.wantRef("refs/heads/from-head", topic, f.all()...)
}

func TestPushDelete(t *testing.T) {
	f := newFed(t)
	mustGit(t, f.work, "branch", "doomed")
	f.push(true, "fed", "doomed")
	// m2 never got "also-doomed": deleting it there is already done.
	mustGit(t, f.work, "branch", "also-doomed")
	for _, s := range []server{f.origin, f.m1} {
		mustGit(t, f.work, "push", "-q", s.Path, "also-doomed")
	}

	out := f.push(true, "fed", "--delete", "doomed", "also-doomed")
	wantContains(t, out, "- [deleted]         doomed", "- [deleted]         also-doomed")
	wantNotContains(t, out, "rejected", "failed")
	f.wantRef("refs/heads/doomed", "", f.all()...)
	f.wantRef("refs/heads/also-doomed", "", f.all()...)
	if p := f.pendingFile(); p != "" {
		t.Errorf("pending after deletes:\n%s", p)
	}
}

func TestPushTags(t *testing.T) {
	f := newFed(t)
	mustGit(t, f.work, "tag", "v1.0")
	mustGit(t, f.work, "tag", "-a", "-m", "release 1.1", "v1.1")
	out := f.push(true, "fed", "v1.0", "v1.1")
	wantContains(t, out, "* [new tag]         v1.0 -> v1.0", "* [new tag]         v1.1 -> v1.1")
	f.wantRef("refs/tags/v1.0", f.rev("v1.0"), f.all()...)
	// The annotated tag object itself, not the commit, is on every server.
	f.wantRef("refs/tags/v1.1", f.rev("refs/tags/v1.1"), f.all()...)
}

func TestForcedPushForcesMirrors(t *testing.T) {
	f := newFed(t)
	f.commit("a.txt", "to be rewritten")
	f.push(true, "fed", "main")
	mustGit(t, f.work, "commit", "-q", "--amend", "-m", "rewritten")
	rewritten := f.rev("main")

	out := f.push(true, "--force", "fed", "main")
	wantContains(t, out, "+ ", "main -> main (forced update)")
	f.wantRef("refs/heads/main", rewritten, f.all()...)
}

func TestNonFastForwardRejectedLikeGit(t *testing.T) {
	f := newFed(t)
	before := f.rev("main")
	// Someone else pushes to origin; we commit without fetching.
	other := filepath.Join(t.TempDir(), "other")
	mustGit(t, "", "clone", "-q", f.origin.Path, other)
	gittest.Commit(t, other, "o.txt", "o\n", "theirs")
	mustGit(t, other, "push", "-q", "origin", "main")
	theirs := gittest.Git(t, other, "rev-parse", "HEAD")
	f.commit("a.txt", "mine")

	out := f.push(false, "fed", "main")
	wantContains(t, out, "! [rejected]        main -> main (fetch first)", "Updates were rejected because")
	f.wantRef("refs/heads/main", theirs, f.origin)
	f.wantRef("refs/heads/main", before, f.m1, f.m2)

	// Once fetched, git names it non-fast-forward.
	mustGit(t, f.work, "fetch", "-q", f.origin.Path, "main")
	out = f.push(false, "fed", "main")
	wantContains(t, out, "! [rejected]        main -> main (non-fast-forward)")
	f.wantRef("refs/heads/main", before, f.m1, f.m2)
}

func TestDryRunChangesNothing(t *testing.T) {
	f := newFed(t)
	before := f.rev("main")
	f.commit("a.txt", "not really")
	mustGit(t, f.work, "branch", "newb")
	out := f.push(true, "--dry-run", "fed", "main", "newb")
	wantContains(t, out, "main -> main", "* [new branch]      newb -> newb", "(dry run)")
	f.wantRef("refs/heads/main", before, f.all()...)
	f.wantRef("refs/heads/newb", "", f.all()...)
	if p := f.pendingFile(); p != "" {
		t.Errorf("dry run wrote pending:\n%s", p)
	}
}

func TestAtomicPushAllOrNothing(t *testing.T) {
	f := newFed(t)
	before := f.rev("main")
	// origin refuses one of the two refs; atomically, neither may land.
	hook(t, f.origin.Path, "update", `test "$1" = refs/heads/bad && { echo "no bad branches" >&2; exit 1; }
exit 0
`)
	f.commit("a.txt", "good")
	mustGit(t, f.work, "branch", "bad")
	out := f.push(false, "--atomic", "fed", "main", "bad")
	wantContains(t, out, "! [remote rejected] bad -> bad", "! [remote rejected] main -> main")
	f.wantRef("refs/heads/main", before, f.all()...)
	f.wantRef("refs/heads/bad", "", f.all()...)

	// Without --atomic the good ref lands everywhere.
	out = f.push(false, "fed", "main", "bad")
	wantContains(t, out, "! [remote rejected] bad -> bad (hook declined)")
	f.wantRef("refs/heads/main", f.rev("main"), f.all()...)
	f.wantRef("refs/heads/bad", "", f.all()...)
}

func TestPushOptionsReachEveryServer(t *testing.T) {
	f := newFed(t)
	logs := map[string]string{}
	for _, s := range f.all() {
		log := filepath.Join(t.TempDir(), "options.log")
		logs[s.URL] = log
		hook(t, s.Path, "pre-receive", `cat >/dev/null
i=0
while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do
  eval "echo \"\$GIT_PUSH_OPTION_$i\"" >>'`+log+`'
  i=$((i+1))
done
`)
	}
	f.commit("a.txt", "with options")
	f.push(true, "-o", "ci.skip", "--push-option=merge_request.create", "fed", "main")
	for url, log := range logs {
		b, err := os.ReadFile(log)
		if err != nil || string(b) != "ci.skip\nmerge_request.create\n" {
			t.Errorf("%s saw push options %q (%v)", url, b, err)
		}
	}
}

func TestForceWithLease(t *testing.T) {
	f := newFed(t)
	base := f.rev("main")
	f.commit("a.txt", "one")
	f.push(true, "fed", "main")
	pushed := f.rev("main")

	// A stale lease is refused with git's own words; nothing moves.
	mustGit(t, f.work, "reset", "-q", "--hard", base)
	out := f.push(false, "--force-with-lease=main:"+base, "fed", "main")
	wantContains(t, out, "! [rejected]        main -> main (stale info)")
	f.wantRef("refs/heads/main", pushed, f.all()...)

	// A lease that holds rewinds origin, and the mirrors follow.
	out = f.push(true, "--force-with-lease=main:"+pushed, "fed", "main")
	wantContains(t, out, "main -> main (forced update)")
	f.wantRef("refs/heads/main", base, f.all()...)
}

func TestMirrorDownIsQueuedAndRetried(t *testing.T) {
	f := newFed(t)
	f.m1.AddFault(gittest.Fault{Prefix: "/app.git", Status: 503, Body: "repository is being read or written", PushOnly: true})
	before := f.rev("main")
	c := f.commit("a.txt", "while m1 is down")
	out := f.push(true, "fed", "main")
	wantContains(t, out, "federate: mirror "+f.m1.URL+": push failed:", "503",
		"federate: 1 update queued in", "  main -> main")
	f.wantRef("refs/heads/main", c, f.origin, f.m2)
	f.wantRef("refs/heads/main", f.rev("HEAD~1"), f.m1)
	p := f.pendingFile()
	if !strings.Contains(p, f.m1.URL+"\trefs/heads/main\t"+c+"\t"+before+"\tff\t") || strings.Contains(p, f.m2.URL) {
		t.Fatalf("pending:\n%s", p)
	}

	// m1 is back: the next push delivers the queued update too.
	f.m1.ClearFaults()
	mustGit(t, f.work, "branch", "later")
	out = f.push(true, "fed", "later")
	wantContains(t, out, "(and 1 queued update)", "federate: mirror "+f.m1.URL+": ok, updated 1 ref, 1 queued update delivered")
	f.wantRef("refs/heads/main", c, f.all()...)
	f.wantRef("refs/heads/later", c, f.all()...)
	if p := f.pendingFile(); p != "" {
		t.Errorf("pending after the retry:\n%s", p)
	}
}

func TestMirrorServerGone(t *testing.T) {
	f := newFed(t)
	f.m2.Close()
	c := f.commit("a.txt", "m2 is gone")
	out := f.push(true, "fed", "main")
	wantContains(t, out, "federate: mirror "+f.m2.URL+": push failed:")
	f.wantRef("refs/heads/main", c, f.origin, f.m1)
	if p := f.pendingFile(); !strings.Contains(p, f.m2.URL+"\trefs/heads/main\t"+c) {
		t.Errorf("pending:\n%s", p)
	}
}

func TestNewerValueSupersedesQueued(t *testing.T) {
	f := newFed(t)
	f.m1.AddFault(gittest.Fault{Prefix: "/app.git", Status: 500, Body: "boom", PushOnly: true})
	f.commit("a.txt", "first")
	f.push(true, "fed", "main")
	c2 := f.commit("b.txt", "second")
	f.push(true, "fed", "main")
	p := f.pendingFile()
	if strings.Count(p, "refs/heads/main") != 1 || !strings.Contains(p, c2) {
		t.Fatalf("pending holds more than the newest value:\n%s", p)
	}
	f.m1.ClearFaults()
	c3 := f.commit("c.txt", "third")
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", c3, f.all()...)
	if p := f.pendingFile(); p != "" {
		t.Errorf("pending after the newer value landed:\n%s", p)
	}
}

func TestRequireMirrors(t *testing.T) {
	f := newFed(t, "federation.fed.requireMirrors", "true")
	f.m1.AddFault(gittest.Fault{Prefix: "/app.git", Status: 500, Body: "mirror broken", PushOnly: true})
	c := f.commit("a.txt", "must reach all")
	out := f.push(false, "fed", "main")
	wantContains(t, out, "! [remote rejected] main -> main (mirror "+f.m1.URL+": ",
		"pushing the same again says \"Everything up-to-date\"; run `git federate sync fed` to deliver it")
	f.wantRef("refs/heads/main", c, f.origin, f.m2)
	if p := f.pendingFile(); !strings.Contains(p, f.m1.URL) {
		t.Errorf("pending:\n%s", p)
	}
	// As the hint says: origin has main, so git sends nothing again,
	// and the sync it names delivers the update.
	wantContains(t, f.push(true, "fed", "main"), "Everything up-to-date")
	f.m1.ClearFaults()
	if out, err := gittest.GitCombined(f.work, nil, "federate", "sync", "fed"); err != nil {
		t.Fatalf("git federate sync fed: %v\n%s", err, out)
	}
	f.wantRef("refs/heads/main", c, f.m1)
	if p := f.pendingFile(); p != "" {
		t.Errorf("pending after the sync delivered it:\n%s", p)
	}
}

func TestPushOriginFalse(t *testing.T) {
	f := newFed(t, "federation.fed.pushOrigin", "false")
	before := f.rev("main")
	c := f.commit("a.txt", "mirrors only")
	out := f.push(true, "fed", "main")
	wantContains(t, out, "federate: pushing 1 ref to 1 mirror", "federate: mirror "+f.m2.URL+": ok")
	f.wantRef("refs/heads/main", before, f.origin)
	f.wantRef("refs/heads/main", c, f.m1, f.m2)
}

func TestDivergedMirrorRefusesAndIsQueued(t *testing.T) {
	f := newFed(t)
	// Someone committed on m2 only.
	other := filepath.Join(t.TempDir(), "other")
	mustGit(t, "", "clone", "-q", f.m2.Path, other)
	gittest.Commit(t, other, "m2.txt", "x\n", "only on m2")
	mustGit(t, other, "push", "-q", "origin", "main")
	onlyM2 := gittest.Git(t, other, "rev-parse", "HEAD")

	c := f.commit("a.txt", "mine")
	out := f.push(true, "fed", "main")
	wantContains(t, out, "federate: mirror "+f.m2.URL+": refs/heads/main rejected: fetch first",
		"  main -> main")
	f.wantRef("refs/heads/main", c, f.origin, f.m1)
	f.wantRef("refs/heads/main", onlyM2, f.m2)
	// The queue words a diverged mirror ref as sync does, whichever of
	// git's words ("fetch first", "non-fast-forward") the push heard,
	// and keeps m2's own value as the old one.
	if p := f.pendingFile(); !strings.Contains(p, f.m2.URL+"\trefs/heads/main\t"+c+"\t"+onlyM2+"\tff\t") || !strings.Contains(p, pending.ReasonDiverged.String()) {
		t.Errorf("pending:\n%s", p)
	}
}

func TestQuietPushSaysNothingButRefusals(t *testing.T) {
	f := newFed(t)
	c := f.commit("a.txt", "quiet")
	out := f.push(true, "-q", "fed", "main")
	if strings.TrimSpace(out) != "" {
		t.Errorf("git push -q printed:\n%s", out)
	}
	f.wantRef("refs/heads/main", c, f.all()...)

	f.m1.AddFault(gittest.Fault{Prefix: "/app.git", Status: 503, Body: "busy", PushOnly: true})
	f.commit("b.txt", "quiet but refused")
	out = f.push(true, "-q", "fed", "main")
	wantContains(t, out, "federate: mirror "+f.m1.URL+": push failed:")
}

// The token came from its variable, which comes before the keyring: the
// hint says to change it there, not to log in.
func TestMirrorRefusingTheTokenSaysWhereToGiveAnother(t *testing.T) {
	f := newFed(t)
	u, _ := url.Parse(f.m1.URL)
	t.Setenv(keystore.EnvName(u.Host), "revoked-token")
	f.commit("a.txt", "m1 no longer takes our token")
	out := f.push(true, "fed", "main")
	wantContains(t, out, "federate: mirror "+f.m1.URL+": push failed:",
		"federate: mirror "+f.m1.URL+": hint:", "set a valid token in "+keystore.EnvName(u.Host))
	wantNotContains(t, out, "revoked-token")
}
