package pushtest

import (
	"crypto/rand"
	"encoding/base64"
	"path/filepath"
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
	// The mirrors may have been listed (that overlaps origin's listing),
	// but none was sent a pack.
	for _, s := range []server{f.m1, f.m2} {
		for _, r := range s.Requests() {
			if r.Method == "POST" && strings.HasSuffix(r.Path, "/git-receive-pack") {
				t.Fatalf("a mirror was pushed to while origin was down: %s", r.Path)
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

// bigCommit commits size bytes that do not compress, so that a pack is
// large enough to be cut in the middle.
func (f *fed) bigCommit(file string, size int) string {
	f.t.Helper()
	b := make([]byte, size)
	_, _ = rand.Read(b)
	return gittest.Commit(f.t, f.work, file, base64.StdEncoding.EncodeToString(b), "big "+file)
}

// fsckClean fails the test when the repository at dir is damaged.
func fsckClean(t *testing.T, dir string) {
	t.Helper()
	if out, err := gittest.GitCombined(dir, nil, "fsck", "--no-progress", "--no-dangling"); err != nil {
		t.Fatalf("git fsck in %s: %v\n%s", dir, err, out)
	}
}

// A push whose pack is cut on the way to origin: git push fails naming
// origin and no server moved a ref. The update written ahead for the
// mirrors stays queued as unconfirmed: the client cannot tell a cut that
// left origin without the pack from one origin finishes after it (the
// kernel takes the whole request before the server reads it), and such
// an entry goes nowhere while origin lacks its value. The retry lands
// everywhere and settles the queue.
func TestCutPushToOrigin(t *testing.T) {
	f := newFed(t)
	before := f.rev("HEAD")
	c := f.bigCommit("big.bin", 256<<10)
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", CutRequestAfter: 32 << 10, Count: 1})
	out := f.push(false, "fed", "main")
	wantContains(t, out, "! [remote rejected] main -> main (origin "+f.origin.URL+": ", "not sent to the mirrors, retry the push)")
	f.wantRef("refs/heads/main", before, f.all()...)
	for _, m := range []server{f.m1, f.m2} {
		if p := f.pendingFile(); !strings.Contains(p, m.URL+"\trefs/heads/main\t"+c+"\t") || !strings.Contains(p, "may have taken this") {
			t.Errorf("the update origin may have taken is not queued, unconfirmed, for %s:\n%s", m.URL, p)
		}
	}
	fsckClean(t, f.work)
	fsckClean(t, f.origin.Path)

	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", c, f.all()...)
	if p := f.pendingFile(); p != "" {
		t.Errorf("the queue after the retry:\n%s", p)
	}
}

// A push whose pack is cut on the way to one mirror: origin and the other
// mirror have it, the cut mirror has its old value (no half-written ref),
// the update is queued with the reason, and the next push delivers it.
func TestCutPushToMirror(t *testing.T) {
	f := newFed(t)
	before := f.rev("HEAD")
	c := f.bigCommit("big.bin", 256<<10)
	f.m1.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", CutRequestAfter: 32 << 10, Count: 1})
	out := f.push(true, "fed", "main")
	wantContains(t, out, "federate: mirror "+f.m1.URL+": push failed: the connection broke during the push", "federate: 1 update queued in")
	f.wantRef("refs/heads/main", c, f.origin, f.m2)
	f.wantRef("refs/heads/main", before, f.m1)
	fsckClean(t, f.m1.Path)
	if p := f.pendingFile(); !strings.Contains(p, f.m1.URL+"\trefs/heads/main\t"+c) {
		t.Fatalf("pending:\n%s", p)
	}

	mustGit(t, f.work, "branch", "later")
	f.push(true, "fed", "later")
	f.wantRef("refs/heads/main", c, f.all()...)
	if p := f.pendingFile(); p != "" {
		t.Fatalf("pending after the retry:\n%s", p)
	}
	fsckClean(t, f.work)
}

// A fetch or clone whose pack from origin is cut: git fails or the
// federation fails over; either way no ref points at a missing object and
// the repository is intact; the next fetch gets origin's value.
func TestCutFetchAndClone(t *testing.T) {
	f := newFed(t, "federation.fed.failover", "false")
	c := f.bigCommit("big.bin", 256<<10)
	mustGit(t, f.work, "push", "-q", f.origin.Path, "main")

	dst := filepath.Join(t.TempDir(), "clone")
	// Every upload-pack answer is cut at 16 KiB: the ref listing is
	// shorter, the pack is not.
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-upload-pack", CutAfter: 16 << 10})
	out, err := gittest.GitCombined("", nil, "clone", "-q", "federate::fed", dst)
	if err == nil {
		t.Fatalf("clone through a cut pack succeeded:\n%s", out)
	}
	wantContains(t, out, f.origin.URL)
	f.checkNoSecrets(out)

	// A fetch into an existing clone.
	mustGit(t, "", "clone", "-q", f.m2.Path, dst)
	mustGit(t, dst, "remote", "add", "fed", "federate::fed")
	out, err = gittest.GitCombined(dst, nil, "fetch", "fed")
	if err == nil {
		t.Fatalf("fetch through a cut pack succeeded:\n%s", out)
	}
	wantContains(t, out, f.origin.URL)
	if got := gittest.RefOf(t, dst, "refs/remotes/fed/main"); got != "" {
		t.Fatalf("a failed fetch left refs/remotes/fed/main = %s", got)
	}
	fsckClean(t, dst)

	f.origin.ClearFaults()
	mustGit(t, dst, "fetch", "-q", "fed")
	if got := gittest.RefOf(t, dst, "refs/remotes/fed/main"); got != c {
		t.Fatalf("fetch after the cut: fed/main = %q, want %s", got, c)
	}
	fsckClean(t, dst)
}

// hungFed is a federation whose server hung (origin or a mirror), the
// one meant to hang, is given up after gittest.HangLimit without an
// answer: its own limit ([federate "<url>"] timeout), which its healthy
// steps before the hang never reach either. The healthy servers keep the
// federation's default.
func hungFed(t *testing.T, hung func(*fed) server) *fed {
	f := newFed(t)
	gittest.LimitHung(t, hung(f).URL)
	return f
}

func origin(f *fed) server  { return f.origin }
func mirror1(f *fed) server { return f.m1 }

// hungKey is the key of the hung server's limit.
func hungKey(s server) string { return "federate." + s.URL + ".timeout" }

// Origin accepts the connection and never answers the ref listing: the
// push ends within the limit, says which server and which step, and
// nothing is pushed.
func TestHungOriginAtListing(t *testing.T) {
	f := hungFed(t, origin)
	before := f.rev("HEAD")
	f.commit("a.txt", "a")
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/", Hang: make(chan struct{})})
	out := f.push(false, "fed", "HEAD:main")
	wantContains(t, out, "origin "+f.origin.URL+" is unreachable (no answer within "+gittest.HangLimit.String()+" while listing its refs; the limit is "+hungKey(f.origin)+")",
		"nothing was pushed anywhere")
	f.wantRef("refs/heads/main", before, f.all()...)
}

// A mirror that hangs on the pack upload, or after taking the pack
// (never reporting the ref update): origin and the other mirror get the
// push, the hung mirror's update is queued with the reason, and the push
// ends within the limit.
func TestHungMirror(t *testing.T) {
	for _, tc := range []struct {
		name      string
		afterBody bool
	}{{"pack upload", false}, {"ref update", true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := hungFed(t, mirror1)
			c := f.commit("a.txt", "a")
			f.m1.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Hang: make(chan struct{}), HangAfterBody: tc.afterBody})
			out := f.push(true, "fed", "main")
			// In git's words ("Operation too slow") when git's transport
			// pushed the mirror, in ours (the limit's key) when we did.
			wantContains(t, out, "federate: mirror "+f.m1.URL+": push failed: the server stopped answering during the push (",
				"federate: 1 update queued in")
			f.wantRef("refs/heads/main", c, f.origin, f.m2)
			if p := f.pendingFile(); !strings.Contains(p, f.m1.URL+"\trefs/heads/main\t"+c) {
				t.Fatalf("pending:\n%s", p)
			}
		})
	}
}

// Origin lists its refs and then hangs on the pack, before or after
// taking it: the push ends within the limit, names origin and the stall,
// and sends nothing to the mirrors. The update stays queued for them as
// unconfirmed, since a hung origin may still take it (carried only once
// origin has it); the retry lands everywhere and settles the queue.
func TestHungOriginDuringPush(t *testing.T) {
	for _, tc := range []struct {
		name      string
		afterBody bool
	}{{"pack upload", false}, {"ref update", true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := hungFed(t, origin)
			before := f.rev("HEAD")
			c := f.commit("a.txt", "a")
			release := make(chan struct{})
			f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Hang: release, HangAfterBody: tc.afterBody, Count: 1})
			out := f.push(false, "fed", "main")
			// In ours (the limit's key): origin is pushed by this process.
			wantContains(t, out, "main -> main (origin "+f.origin.URL+": the server stopped answering during the push (no data moved for "+gittest.HangLimit.String()+"; the limit is "+hungKey(f.origin)+")",
				"not sent to the mirrors, retry the push)")
			f.wantRef("refs/heads/main", before, f.m1, f.m2)
			for _, m := range []server{f.m1, f.m2} {
				if p := f.pendingFile(); !strings.Contains(p, m.URL+"\trefs/heads/main\t"+c+"\t") || !strings.Contains(p, "may have taken this") {
					t.Errorf("the update a hung origin may take is not queued, unconfirmed, for %s:\n%s", m.URL, p)
				}
			}
			close(release)
			// Healed: it gets the generous limit back.
			mustGit(t, "", "config", "--global", "--unset", hungKey(f.origin))

			f.push(true, "fed", "main")
			f.wantRef("refs/heads/main", c, f.all()...)
			if p := f.pendingFile(); p != "" {
				t.Errorf("the queue after the retry:\n%s", p)
			}
		})
	}
}
