package pushtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/helper"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// eventually waits, bounded, until cond holds: the detached process of
// mirrorPush = background works after git push returned.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// delivered waits until the detached process has finished n runs.
func (f *fed) delivered(n int) {
	f.t.Helper()
	log := filepath.Join(f.work, ".git", "federate", helper.MirrorLogName)
	eventually(f.t, "the background push ends", func() bool {
		b, _ := os.ReadFile(log)
		return strings.Count(string(b), helper.DeliveredLine) >= n
	})
}

// With mirrorPush = background git's push returns once origin took the
// push; the updates are queued before it returns, and a detached process
// delivers them and empties the queue.
func TestBackgroundMirrorPush(t *testing.T) {
	f := newFed(t, "federation.fed.mirrorPush", "background")
	tip := f.commit("a.txt", "one")
	out := f.push(true, "fed", "main")
	wantContains(t, out, "federate: pushing 1 ref to 2 mirrors in the background (log: ")
	f.wantRef("refs/heads/main", tip, f.origin)
	f.delivered(1)
	f.wantRef("refs/heads/main", tip, f.m1, f.m2)
	if q := f.pendingFile(); q != "" {
		t.Errorf("queue after the background push:\n%s", q)
	}
	// To the detached process the push's update is a queued one for
	// each mirror: the log counts them so, not as "0 refs".
	log, _ := os.ReadFile(filepath.Join(f.work, ".git", "federate", helper.MirrorLogName))
	wantContains(t, string(log), "federate: pushing 2 queued updates to 2 mirrors", "federate: mirror "+f.m1.URL+": ok, 1 queued update delivered")
	wantNotContains(t, string(log), "0 refs")
	out = f.push(true, "fed", "main")
	wantNotContains(t, out, "failed")
}

// A mirror that fails in the background keeps its update queued, and the
// next git command in the repository says so once.
func TestBackgroundMirrorFailureIsReportedOnce(t *testing.T) {
	f := newFed(t, "federation.fed.mirrorPush", "background")
	f.m2.AddFault(gittest.Fault{Prefix: "/", Status: 500, Body: "down for maintenance"})
	tip := f.commit("a.txt", "one")
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, f.origin)
	f.delivered(1)
	f.wantRef("refs/heads/main", tip, f.m1)
	if q := f.pendingFile(); !strings.Contains(q, f.m2.URL) || strings.Contains(q, f.m1.URL) {
		t.Errorf("queue after the background push:\n%s", q)
	}
	out, err := gittest.GitCombined(f.work, nil, "fetch", "fed")
	if err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	wantContains(t, out, "warning: federate: the background push to the mirrors failed: "+f.m2.URL+": 1 ref not pushed")
	if n := strings.Count(out, "background push"); n != 1 {
		t.Errorf("reported %d times:\n%s", n, out)
	}
	out, _ = gittest.GitCombined(f.work, nil, "fetch", "fed")
	wantNotContains(t, out, "background push")
}

// requireMirrors and --atomic need every mirror's answer: they wait.
func TestBackgroundWaitsWhenAskedToRequireMirrors(t *testing.T) {
	f := newFed(t, "federation.fed.mirrorPush", "background", "federation.fed.requireMirrors", "true")
	tip := f.commit("a.txt", "one")
	out := f.push(true, "fed", "main")
	wantNotContains(t, out, "in the background")
	f.wantRef("refs/heads/main", tip, f.all()...)

	gittest.Git(t, "", "config", "--global", "federation.fed.requireMirrors", "false")
	tip = f.commit("b.txt", "two")
	out = f.push(true, "--atomic", "fed", "main")
	wantNotContains(t, out, "in the background")
	f.wantRef("refs/heads/main", tip, f.all()...)
}
