package pushtest

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// A queued update that another clone's push has since overtaken is not
// carried: clone A's move of tag v1 failed on mirror 1 and was queued;
// clone B then moved v1 again, everywhere; A's next push must not set
// mirror 1's v1 back to A's old value (a forced update would). It stays
// queued, and sync settles it. Found by the chaos soak.
func TestStaleQueuedUpdateNotCarried(t *testing.T) {
	f := newFed(t)
	b := filepath.Join(t.TempDir(), "b")
	mustGit(t, "", "clone", "-q", f.origin.Path, b)
	mustGit(t, b, "remote", "add", "fed", "federate::fed")

	mustGit(t, f.work, "tag", "-f", "v1", f.commit("a.txt", "a"))
	f.m1.AddFault(gittest.Fault{Prefix: "/app.git/", Status: 500, Body: "down", PushOnly: true})
	f.push(true, "fed", "main", "+refs/tags/v1:refs/tags/v1")
	f.m1.ClearFaults()
	old := gittest.RefOf(t, f.origin.Path, "refs/tags/v1")

	mustGit(t, b, "fetch", "-q", "fed")
	mustGit(t, b, "reset", "-q", "--hard", "fed/main")
	newer := gittest.Commit(t, b, "b.txt", "b\n", "b")
	mustGit(t, b, "tag", "-f", "v1", newer)
	if out, err := gittest.GitCombined(b, nil, "push", "fed", "main", "+refs/tags/v1:refs/tags/v1"); err != nil {
		t.Fatalf("push from b: %v\n%s", err, out)
	}
	f.wantRef("refs/tags/v1", newer, f.all()...)

	// A pushes something else: its queue still holds v1 = old for mirror 1.
	mustGit(t, f.work, "checkout", "-q", "-b", "topic", old)
	f.commit("c.txt", "c")
	f.push(true, "fed", "topic")
	f.wantRef("refs/tags/v1", newer, f.all()...)
}

// The connection to origin breaks after origin took the push (its answer
// is cut): origin has the update, so the mirrors must get it too, or it
// must be queued for them; before, the push said "not sent to the
// mirrors" and nothing was queued. Found by the chaos soak.
func TestOriginTookPushDespiteCut(t *testing.T) {
	f := newFed(t)
	c := f.commit("a.txt", "a")
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", CutAfter: 1, Count: 1})
	out, _ := gittest.GitCombined(f.work, nil, "push", "fed", "main")
	f.checkNoSecrets(out)
	if got := gittest.RefOf(t, f.origin.Path, "refs/heads/main"); got != c {
		t.Fatalf("origin did not take the push before the cut (main = %s); the test proves nothing\n%s", got, out)
	}
	wantContains(t, out, "federate: the connection to origin "+f.origin.URL+" broke, but it has taken 1 of the updates: they go to the mirrors")
	f.wantRef("refs/heads/main", c, f.m1, f.m2)
}

// The same cut, and origin cannot be listed afterwards: the update is
// queued for the mirrors, since origin may have it; once origin answers,
// the next push carries it because origin has it.
func TestOriginCutThenUnreachableQueues(t *testing.T) {
	f := newFed(t)
	c := f.commit("a.txt", "a")
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", CutAfter: 1, Count: 1, Hook: func(*http.Request) {
		// Origin's listing was the request before; from now on it is down.
		f.origin.AddFault(gittest.Fault{Prefix: "/app.git/info/refs", Status: 502, Body: "bad gateway"})
	}})
	out, _ := gittest.GitCombined(f.work, nil, "push", "fed", "main")
	if got := gittest.RefOf(t, f.origin.Path, "refs/heads/main"); got != c {
		t.Fatalf("origin did not take the push before the cut (main = %s); the test proves nothing\n%s", got, out)
	}
	wantContains(t, out, "federate: the connection to origin "+f.origin.URL+" broke and it cannot be asked what it took: the updates are queued for the mirrors")
	for _, m := range []server{f.m1, f.m2} {
		if p := f.pendingFile(); !strings.Contains(p, m.URL+"\trefs/heads/main\t"+c) {
			t.Errorf("main is not queued for %s:\n%s", m.URL, p)
		}
	}
	f.origin.ClearFaults()
	f.commit("b.txt", "b")
	f.push(true, "fed", "HEAD:refs/heads/other")
	f.wantRef("refs/heads/main", c, f.m1, f.m2)
}
