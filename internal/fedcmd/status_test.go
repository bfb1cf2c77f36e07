package fedcmd

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func TestStatusCategories(t *testing.T) {
	fx := newSyncFixture(t, 2)
	// mirror1: diverged "div", ahead "ahead", extra "extra".
	fx.commitOrigin(t, "div", "d.txt")
	fx.commitOrigin(t, "ahead", "a0.txt")
	gittest.Seed(t, fx.work, fx.mirrorPath(0), fx.mirrorPath(1))
	fx.divergeMirror(t, 0, "div")
	fx.divergeMirror(t, 0, "ahead")
	fx.commitOrigin(t, "div", "d2.txt")
	extra := fx.commitOrigin(t, "extra", "e.txt")
	gittest.Git(t, fx.work, "push", "-q", fx.mirrorPath(0), "extra")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), ":extra")
	// behind "main", missing "new"; the tag stays in sync.
	fx.commitOrigin(t, "main", "m.txt")
	fx.commitOrigin(t, "new", "n.txt")
	_ = extra

	r := fx.status(t, StatusOptions{JSON: true})
	if r.code != ExitOK {
		t.Fatalf("status: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	rep := decodeReport(t, r.out)
	want := map[string]string{
		"refs/heads/main": "behind", "refs/heads/ahead": "ahead", "refs/heads/div": "diverged",
		"refs/heads/new": "missing", "refs/heads/extra": "extra", "refs/tags/v1": "in-sync",
	}
	for ref, st := range want {
		if got, _, _ := rep.refState(0, ref); got != st {
			t.Errorf("mirror1 %s: %q, want %q", ref, got, st)
		}
	}
	if got, _, _ := rep.refState(1, "refs/heads/div"); got != "behind" {
		t.Errorf("mirror2 div: %q, want behind", got)
	}

	r = fx.status(t, StatusOptions{})
	for _, s := range []string{"1 behind", "1 ahead", "1 diverged", "1 missing", "1 extra", "refs/heads/div"} {
		if !strings.Contains(r.out, s) {
			t.Errorf("table lacks %q:\n%s", s, r.out)
		}
	}
	if r := fx.status(t, StatusOptions{ExitCode: true}); r.code != ExitFailure {
		t.Errorf("--exit-code out of sync: exit %d, want 1", r.code)
	}
	// Status pushes nothing.
	for _, q := range fx.srv.Requests() {
		if strings.Contains(q.Path+q.Query, "receive-pack") {
			t.Fatalf("status pushed: %s", q.Path)
		}
	}
}

func TestStatusInSyncExitCode(t *testing.T) {
	fx := newSyncFixture(t, 2)
	r := fx.status(t, StatusOptions{ExitCode: true, Names: []string{"demo"}})
	if r.code != ExitOK || !strings.Contains(r.out, "2 in-sync") {
		t.Fatalf("in sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestStatusUnreachableMirror(t *testing.T) {
	fx := newSyncFixture(t, 2)
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/", Status: 503, Body: "down"})
	r := fx.status(t, StatusOptions{})
	if r.code != ExitPartial || !strings.Contains(r.out, "UNREACHABLE") {
		t.Fatalf("unreachable mirror: exit %d, want 3\n%s%s", r.code, r.out, r.errOut)
	}
}
