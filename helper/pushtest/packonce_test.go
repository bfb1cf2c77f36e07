package pushtest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/helper"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// addMirror adds a third mirror to f's federation.
func (f *fed) addMirror(token string) server {
	f.t.Helper()
	m := newServer(f.t, token)
	gittest.Seed(f.t, f.work, m.Path)
	gittest.Git(f.t, "", "config", "--global", "--add", "federation.fed.mirror", m.URL)
	return m
}

// pushTraced is f.push with GIT_TRACE2_EVENT on, and returns how many
// `git pack-objects` every git of the push started.
func (f *fed) pushTraced(args ...string) (string, int) {
	f.t.Helper()
	trace := filepath.Join(f.t.TempDir(), "trace2.json")
	out, err := gittest.GitCombined(f.work, []string{"GIT_TRACE2_EVENT=" + trace}, append([]string{"push"}, args...)...)
	if err != nil {
		f.t.Fatalf("git push %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	f.checkNoSecrets(out)
	n := 0
	for _, args := range gittest.GitStarts(f.t, trace) {
		if slices.Contains(args, "pack-objects") {
			n++
		}
	}
	return out, n
}

// wantSame checks that every server has exactly the refs of the first,
// and a repository git fsck finds clean.
func (f *fed) wantSame(servers ...server) {
	f.t.Helper()
	want := gittest.Git(f.t, servers[0].Path, "for-each-ref")
	for _, s := range servers {
		if got := gittest.Git(f.t, s.Path, "for-each-ref"); got != want {
			f.t.Errorf("refs of %s:\n%s\nwant those of %s:\n%s", s.URL, got, servers[0].URL, want)
		}
		if out, err := gittest.GitErr(s.Path, nil, "fsck", "--strict", "--no-dangling"); err != nil {
			f.t.Errorf("git fsck %s: %v\n%s", s.URL, err, out)
		}
	}
}

// A whole-repository push to origin and three mirrors that advertise the
// same tips packs the objects twice: once for origin (git's own push),
// once for the three mirrors, which get the same bytes. Each mirror
// costs two requests, both with the token.
func TestMirrorsShareOnePack(t *testing.T) {
	f := newFed(t)
	m3 := f.addMirror("mirror3-token")
	gittest.Git(t, f.work, "checkout", "-q", "-b", "side")
	for _, c := range []string{"a", "b", "c"} {
		f.commit(c+".txt", "commit "+c)
	}
	gittest.Git(t, f.work, "tag", "-a", "-m", "release", "v1")
	gittest.Git(t, f.work, "checkout", "-q", "main")
	f.commit("d.txt", "commit d")
	before := [3]int{len(f.m1.Requests()), len(f.m2.Requests()), len(m3.Requests())}
	_, packs := f.pushTraced("fed", "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
	if packs != 2 {
		t.Errorf("git pack-objects ran %d times, want 2: origin's, then one for the three mirrors", packs)
	}
	f.wantSame(f.origin, f.m1, f.m2, m3)
	for i, m := range []server{f.m1, f.m2, m3} {
		got := requestsFor(m, before[i])
		if len(got) != 2 || got[0].Authorization == "" || got[1].Authorization == "" || !got[1].Push() || got[1].Method != "POST" {
			t.Errorf("mirror %s served %v, want an authorized listing and the pack", m.URL, got)
		}
	}
}

// Mirrors that advertise different tips get different packs: one run
// per group, not per mirror.
func TestOnePackPerGroupOfTips(t *testing.T) {
	f := newFed(t)
	m3 := f.addMirror("mirror3-token")
	// m2 alone has another branch: its advertisement differs.
	gittest.Git(t, f.work, "checkout", "-q", "-b", "other")
	f.commit("other.txt", "on other")
	gittest.Git(t, f.work, "push", "-q", f.m2.Path, "other")
	gittest.Git(t, f.work, "checkout", "-q", "main")
	for _, c := range []string{"a", "b"} {
		f.commit(c+".txt", "commit "+c)
	}
	_, packs := f.pushTraced("fed", "main")
	if packs != 3 {
		t.Errorf("git pack-objects ran %d times, want 3: origin's, one for m1 and m3, one for m2", packs)
	}
	f.wantRef("refs/heads/main", f.rev("main"), f.origin, f.m1, f.m2, m3)
	f.wantSame(f.m1, m3)
}

// A mirror that redirects to another server is left to git's transport,
// which this process never hands the token for another host: the other
// server sees no token, and the update is queued.
func TestMirrorRedirectElsewhereGetsNoToken(t *testing.T) {
	f := newFed(t)
	var mu sync.Mutex
	var elsewhere []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere = append(elsewhere, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "nothing here", http.StatusNotFound)
	}))
	t.Cleanup(other.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	t.Setenv(keystore.EnvName(strings.TrimPrefix(redirector.URL, "http://")), "redirect-token")
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", redirector.URL+"/app.git")
	tip := f.commit("a.txt", "one commit")
	out := f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, f.all()...)
	wantNotContains(t, out, "redirect-token")
	mu.Lock()
	defer mu.Unlock()
	for _, auth := range elsewhere {
		if auth != "" {
			t.Errorf("the other host got credentials: %q", auth)
		}
	}
	if !strings.Contains(f.pendingFile(), redirector.URL) {
		t.Errorf("the redirecting mirror's update is not queued:\n%s", f.pendingFile())
	}
}

// A mirror whose repository was renamed (a redirect on the same server,
// as a forge answers for an old name) still takes the push: git's
// transport follows the redirect as git itself would.
func TestRenamedMirrorIsFollowed(t *testing.T) {
	f := newFed(t)
	front, m := f.renamedMirror()
	tip := f.commit("a.txt", "one commit")
	out := f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, append(f.all(), m)...)
	wantNotContains(t, out, "renamed-token")
	if q := f.pendingFile(); strings.Contains(q, front) {
		t.Errorf("the renamed mirror's update is queued:\n%s", q)
	}
}

// With mirrorPush = background the renamed mirror is followed as in the
// foreground, not queued as "redirected ... not followed".
func TestRenamedMirrorIsFollowedInTheBackground(t *testing.T) {
	f := newFed(t, "federation.fed.mirrorPush", "background")
	front, m := f.renamedMirror()
	tip := f.commit("a.txt", "one commit")
	f.push(true, "fed", "main")
	f.delivered(1)
	f.wantRef("refs/heads/main", tip, append(f.all(), m)...)
	if q := f.pendingFile(); strings.Contains(q, front) {
		t.Errorf("the renamed mirror's update is queued:\n%s", q)
	}
	log, _ := os.ReadFile(filepath.Join(f.work, ".git", "federate", helper.MirrorLogName))
	wantNotContains(t, string(log), "renamed-token", "not followed")
}

// renamedMirror adds a mirror configured by its old name, old.git, which
// its server redirects to app.git; it returns the configured URL's
// server and the server holding the repository.
func (f *fed) renamedMirror() (string, server) {
	t := f.t
	m := newServer(t, "renamed-token")
	gittest.Seed(t, f.work, m.Path)
	backend, err := url.Parse(m.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(backend)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.RequestURI(), "/old.git/"); ok {
			http.Redirect(w, r, "/app.git/"+rest, http.StatusMovedPermanently)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	t.Setenv(keystore.EnvName(strings.TrimPrefix(front.URL, "http://")), "renamed-token")
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", front.URL+"/old.git")
	return front.URL, m
}

// A mirror with an http.<url>.extraHeader in git config gets the header
// on every request, as git would send it (federate applies it itself);
// the other mirror is pushed by federate as before.
func TestMirrorWithHTTPConfigGetsIt(t *testing.T) {
	f := newFed(t)
	gittest.Git(t, "", "config", "--global", "http."+f.m1.URL+".extraHeader", "X-Federate-Test: yes")
	var mu sync.Mutex
	var seen []string
	f.m1.AddFault(gittest.Fault{Prefix: "/app.git/", Hook: func(r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Federate-Test"))
		mu.Unlock()
	}})
	before := len(f.m2.Requests())
	tip := f.commit("a.txt", "one commit")
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, f.all()...)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || slices.Contains(seen, "") {
		t.Errorf("m1's requests carried the extra header %q, want it on every one", seen)
	}
	if got := requestsFor(f.m2, before); len(got) != 2 {
		t.Errorf("m2, without a setting, served %d requests, want 2 (pushed by federate itself)", len(got))
	}
}

// A push that only deletes sends the mirrors no pack: no pack-objects
// runs for them.
func TestDeleteOnlySendsNoPack(t *testing.T) {
	f := newFed(t)
	f.commit("a.txt", "a")
	f.push(true, "fed", "main:refs/heads/gone")
	_, packs := f.pushTraced("fed", ":refs/heads/gone")
	if packs != 0 {
		t.Errorf("git pack-objects ran %d times for a delete, want 0", packs)
	}
	f.wantRef("refs/heads/gone", "", f.all()...)
}

// The detached process of mirrorPush = background pushes the mirrors
// itself too: two requests each, with the token, and one pack.
func TestBackgroundMirrorsShareOnePack(t *testing.T) {
	f := newFed(t, "federation.fed.mirrorPush", "background")
	tip := f.commit("a.txt", "one")
	before := [2]int{len(f.m1.Requests()), len(f.m2.Requests())}
	f.push(true, "fed", "main")
	f.delivered(1)
	f.wantRef("refs/heads/main", tip, f.all()...)
	for i, m := range []server{f.m1, f.m2} {
		got := requestsFor(m, before[i])
		if len(got) != 2 || got[0].Authorization == "" || got[1].Authorization == "" || !got[1].Push() {
			t.Errorf("mirror %s served %v, want an authorized listing and the pack", m.URL, got)
		}
	}
}
