package pushtest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// busyBody is what a forge answers while another client holds the
// repository.
const busyBody = "repository is being read or written, retry later"

// busyRequests counts the answers of 503 s served for path prefix.
func busyRequests(s server, prefix string, from int) int {
	n := 0
	for _, r := range s.Requests()[from:] {
		if strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// A clone and a fetch through federate:: from an origin that answers
// "busy" (503, then 429) a few times wait and retry origin, as sync
// does: they get origin's refs from origin, with no failover to a mirror.
func TestBusyOriginCloneRetried(t *testing.T) {
	for _, status := range []int{503, 429} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newFed(t)
			c := f.commit("a.txt", "a")
			mustGit(t, f.work, "push", "-q", f.origin.Path, "main")
			f.origin.AddFault(gittest.Fault{Prefix: "/app.git/", Status: status, Body: busyBody, Count: 3})
			dst := filepath.Join(t.TempDir(), "clone")
			out, err := gittest.GitCombined("", nil, "clone", "federate::fed", dst)
			if err != nil {
				t.Fatalf("clone from a briefly busy origin: %v\n%s", err, out)
			}
			f.checkNoSecrets(out)
			wantNotContains(t, out, "unreachable", f.m1.URL)
			if got := gittest.RefOf(t, dst, "refs/remotes/origin/main"); got != c {
				t.Fatalf("clone: origin/main = %q, want %s\n%s", got, c, out)
			}
			for _, m := range []server{f.m1, f.m2} {
				if n := busyRequests(m, "/app.git/git-upload-pack", 0); n != 0 {
					t.Errorf("the clone fetched from mirror %s (%d requests) while origin was only busy", m.URL, n)
				}
			}
		})
	}
}

// A push through federate:: to an origin busy for a few answers (its
// listing, then its receive-pack) waits and retries, and every server
// gets the push.
func TestBusyOriginPushRetried(t *testing.T) {
	f := newFed(t)
	c := f.commit("a.txt", "a")
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/", Status: 503, Body: busyBody, Count: 2})
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", c, f.all()...)

	c = f.commit("b.txt", "b")
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/", Status: 503, Body: busyBody, Count: 3, PushOnly: true})
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", c, f.all()...)
}

// An origin busy beyond the retry bound: the clone (failover off) and
// the push fail after a bounded number of attempts, saying origin was
// busy, and nothing is pushed anywhere.
func TestBusyOriginBeyondBoundFails(t *testing.T) {
	f := newFed(t, "federation.fed.failover", "false")
	before := f.rev("HEAD")
	f.commit("a.txt", "a")
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/", Status: 503, Body: busyBody})

	dst := filepath.Join(t.TempDir(), "clone")
	out, err := gittest.GitCombined("", nil, "clone", "federate::fed", dst)
	if err == nil {
		t.Fatalf("clone from an origin busy for ever succeeded:\n%s", out)
	}
	f.checkNoSecrets(out)
	wantContains(t, out, "is busy (the repository is being read or written); retried, try again later")
	if n := busyRequests(f.origin, "/app.git/", 0); n < 2 || n > 12 {
		t.Errorf("the clone asked the busy origin %d times, want a few retries and a bound", n)
	}

	start := len(f.origin.Requests())
	out = f.push(false, "fed", "HEAD:main")
	wantContains(t, out, "is busy (the repository is being read or written); retried, try again later", "nothing was pushed anywhere")
	if n := busyRequests(f.origin, "/app.git/", start); n < 2 || n > 12 {
		t.Errorf("the push asked the busy origin %d times, want a few retries and a bound", n)
	}
	f.wantRef("refs/heads/main", before, f.all()...)
}
