package pushtest

import (
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// front is a mirror's address that can go down (connection refused) and
// come back on the same port: a proxy to the real server.
type front struct {
	t    *testing.T
	addr string
	to   http.Handler
	mu   sync.Mutex
	srv  *http.Server
}

func newFront(t *testing.T, backend string) *front {
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	f := &front{t: t, addr: "127.0.0.1:0", to: httputil.NewSingleHostReverseProxy(u)}
	f.up()
	t.Cleanup(f.down)
	return f
}

// up starts serving on the front's address.
func (f *front) up() {
	f.t.Helper()
	l, err := net.Listen("tcp", f.addr)
	if err != nil {
		f.t.Fatal(err)
	}
	f.addr = l.Addr().String()
	srv := &http.Server{Handler: f.to}
	f.mu.Lock()
	f.srv = srv
	f.mu.Unlock()
	go func() {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			f.t.Errorf("front %s: %v", f.addr, err)
		}
	}()
}

// down closes the front: connections are refused.
func (f *front) down() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		f.srv.Close()
		f.srv = nil
	}
}

// queued is the one entry of ref queued for mirror, or fails.
func (f *fed) queued(mirror, ref string) pending.Entry {
	f.t.Helper()
	entries, err := pending.Parse([]byte(f.pendingFile()))
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range entries {
		if e.Mirror == mirror && e.Ref == ref {
			return e
		}
	}
	f.t.Fatalf("nothing queued for %s %s:\n%s", mirror, ref, f.pendingFile())
	return pending.Entry{}
}

// A push queues its updates for a mirror that is down; the background
// delivery, the next push's fan-out and `git federate sync` each fail to
// reach it and say so in the queue in the same words, counting an
// attempt each; once the mirror is back, sync delivers what is queued,
// a ref sync does not cover included, and the queue is empty.
func TestSyncDeliversTheQueueInTheHelpersWords(t *testing.T) {
	f := newFed(t, "federation.fed.mirrorPush", "background")
	down := newFront(t, f.m2.Server.URL)
	mirror := "http://" + down.addr + "/app.git"
	t.Setenv(keystore.EnvName(down.addr), "mirror2-token")
	gittest.Git(t, "", "config", "--global", "--unset-all", "federation.fed.mirror")
	for _, m := range []string{f.m1.URL, mirror} {
		gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", m)
	}
	down.down()

	tip := f.commit("a.txt", "while the mirror is down")
	mustGit(t, f.work, "notes", "add", "-m", "reviewed", "HEAD")
	notes := f.rev("refs/notes/commits")
	f.push(true, "fed", "main", "refs/notes/commits")
	f.delivered(1)
	f.wantRef("refs/heads/main", tip, f.origin, f.m1)
	background := f.queued(mirror, "refs/heads/main")
	if background.OID != tip || background.Attempts != 1 || background.Reason != pending.ReasonUnreachable.String() {
		t.Fatalf("queued by the background push: %+v, want %s with 1 attempt and %q", background, tip, pending.ReasonUnreachable)
	}

	// The foreground fan-out of the next push words it the same.
	gittest.Git(t, "", "config", "--global", "federation.fed.mirrorPush", "wait")
	mustGit(t, f.work, "branch", "later")
	f.push(true, "fed", "later")
	foreground := f.queued(mirror, "refs/heads/main")
	if foreground.Attempts != 2 || foreground.Reason != background.Reason {
		t.Fatalf("after the next push: %+v, want 2 attempts and %q", foreground, background.Reason)
	}

	out, _ := gittest.GitCombined(f.work, nil, "federate", "sync", "fed")
	f.checkNoSecrets(out)
	for _, ref := range []string{"refs/heads/main", "refs/notes/commits"} {
		if e := f.queued(mirror, ref); e.Reason != background.Reason {
			t.Errorf("sync queued %s as %q, the background push as %q", ref, e.Reason, background.Reason)
		}
	}
	if e := f.queued(mirror, "refs/heads/main"); e.Attempts != 3 || !e.Since.Equal(background.Since) {
		t.Errorf("after sync: %+v, want 3 attempts since %s", e, background.Since)
	}

	down.up()
	if out, err := gittest.GitCombined(f.work, nil, "federate", "sync", "fed"); err != nil {
		t.Fatalf("sync with the mirror back: %v\n%s", err, out)
	}
	f.wantRef("refs/heads/main", tip, f.m2)
	f.wantRef("refs/notes/commits", notes, f.m2)
	if q := f.pendingFile(); q != "" {
		t.Errorf("queue after sync delivered it:\n%s", q)
	}
}

// A queued forced update that origin has since moved on from is not
// carried by sync: the mirror has origin's newer value, and the queued
// one would set it back. Before, sync pushed every queued ref it does
// not cover as it was queued.
func TestSyncDoesNotCarryAStaleQueuedUpdate(t *testing.T) {
	f := newFed(t)
	old := f.commit("a.txt", "old review")
	f.m2.AddFault(gittest.Fault{Prefix: "/app.git/", Status: 500, Body: "down", PushOnly: true})
	f.push(true, "fed", "+HEAD:refs/review/1")
	f.m2.ClearFaults()
	if e := f.queued(f.m2.URL, "refs/review/1"); e.OID != old || !e.Force {
		t.Fatalf("queued: %+v", e)
	}
	// Another clone moves the review ref on, everywhere, without federate.
	mustGit(t, f.work, "reset", "-q", "--hard", "HEAD~1")
	newer := f.commit("b.txt", "newer review")
	for _, s := range f.all() {
		mustGit(t, f.work, "push", "-q", "-f", s.Path, "HEAD:refs/review/1")
	}
	mustGit(t, f.work, "reset", "-q", "--hard", old)

	if out, err := gittest.GitCombined(f.work, nil, "federate", "sync", "fed"); err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	f.wantRef("refs/review/1", newer, f.all()...)
	if q := f.pendingFile(); strings.Contains(q, "refs/review/1") {
		t.Errorf("the superseded update is still queued:\n%s", q)
	}
}
