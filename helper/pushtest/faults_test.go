package pushtest

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// Origin down before a push: one line says origin (by URL) is down, that
// nothing was pushed anywhere, and what to do; no mirror is touched.
func TestOriginDownDuringPush(t *testing.T) {
	f := newFed(t)
	before := f.rev("HEAD")
	f.commit("a.txt", "a")
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/", Status: 502, Body: "bad gateway"})
	out := f.push(false, "fed", "HEAD:main")
	wantContains(t, out, "origin "+f.origin.URL+" is unreachable", "nothing was pushed", "retry", "pushOrigin = false")
	wantNotContains(t, out, "ls-remote failed", "exit 128")
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 0 {
		t.Errorf("want one line, got %d:\n%s", n+1, out)
	}
	f.wantRef("refs/heads/main", before, f.all()...)
	for _, s := range []server{f.m1, f.m2} {
		for _, r := range s.Requests() {
			if strings.Contains(r.Path+r.Query, "receive-pack") {
				t.Fatalf("a mirror was contacted for a push while origin was down: %s", r.Path)
			}
		}
	}
	if f.pendingFile() != "" {
		t.Fatalf("nothing was pushed, yet something was queued:\n%s", f.pendingFile())
	}
}

// Origin not listening at all (connection refused) reads the same way.
func TestOriginGoneDuringPush(t *testing.T) {
	f := newFed(t)
	f.commit("a.txt", "a")
	f.origin.Close()
	out := f.push(false, "fed", "HEAD:main")
	wantContains(t, out, "origin "+f.origin.URL+" is unreachable", "nothing was pushed anywhere")
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 0 {
		t.Errorf("want one line, got %d:\n%s", n+1, out)
	}
}
