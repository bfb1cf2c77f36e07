package fedcmd

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// giteaWithOrgs starts Gitea, gives its token to this process's token
// chain and makes the organisations orgs.
func giteaWithOrgs(t *testing.T, orgs ...string) *gittest.Gitea {
	g := gittest.StartGitea(t)
	u, _ := url.Parse(g.URL)
	t.Setenv(keystore.EnvName(u.Host), g.Token)
	for _, org := range orgs {
		g.API(t, "POST", "/api/v1/orgs", map[string]any{"username": org}, nil)
	}
	return g
}

// configGlobal sets each key to its value in the global git config.
func configGlobal(t *testing.T, kv [][2]string) {
	t.Helper()
	for _, e := range kv {
		gittest.Git(t, "", "config", "--global", "--add", e[0], e[1])
	}
}

// syncAllOK runs `sync --all` and returns what it wrote to stdout and
// stderr; it fails the test unless sync exits 0.
func syncAllOK(t *testing.T) (out, errOut *bytes.Buffer) {
	out, errOut = &bytes.Buffer{}, &bytes.Buffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := runSync(ctx, SyncOptions{IO: IO{In: strings.NewReader(""), Out: out, Err: errOut}, All: true, Jobs: 2,
		SyncEnv: SyncEnv{Exe: filepath.Join(gittest.BinDir(t), "git-federate"), LockWait: time.Minute}})
	if code := exitCode(err, errOut); code != ExitOK {
		t.Fatalf("sync --all: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	return out, errOut
}

// A federationset on a real forge: sync --all lists the origin owner's
// repositories, keeps those its wildcards select, creates the missing
// mirrors through the forge's API (createMissing) and pushes them.
func TestSyncFederationSetCreatesMissingMirrorsOnGitea(t *testing.T) {
	gittest.Isolate(t)
	g := giteaWithOrgs(t, "up", "down")
	work := gittest.NewWorkRepo(t)
	heads := map[string]string{}
	for _, name := range []string{"linkis", "linkis-web", "kafka"} {
		g.API(t, "POST", "/api/v1/orgs/up/repos", map[string]any{"name": name}, nil)
		heads[name] = gittest.Commit(t, work, name+".txt", name+"\n", "work on "+name)
		if _, err := gittest.GitErr(work, g.GitEnv(), "push", "-q", g.URL+"/up/"+name+".git", "HEAD:refs/heads/main"); err != nil {
			t.Fatal(err)
		}
	}
	configGlobal(t, [][2]string{
		{"federationset.apache.origin", g.URL + "/up"},
		{"federationset.apache.mirror", g.URL + "/down"},
		{"federationset.apache.include", "linkis*"},
		{"federationset.apache.createMissing", "true"},
		{"federate." + g.URL + ".forge", "gitea"},
	})

	out, errOut := syncAllOK(t)
	for _, name := range []string{"linkis", "linkis-web"} {
		got, err := gittest.GitErr("", g.GitEnv(), "ls-remote", g.URL+"/down/"+name+".git", "refs/heads/main")
		if err != nil || !strings.HasPrefix(got, heads[name]) {
			t.Errorf("mirror down/%s main = %q, %v; want %s", name, got, err, heads[name])
		}
	}
	if !strings.Contains(errOut.String(), "created missing mirror "+g.URL+"/down/linkis.git") {
		t.Errorf("sync did not say it created the mirror:\n%s", errOut.String())
	}
	if _, err := gittest.GitErr("", g.GitEnv(), "ls-remote", g.URL+"/down/kafka.git"); err == nil {
		t.Error("down/kafka exists: include linkis* should have left kafka out")
	}
	if strings.Contains(out.String()+errOut.String(), g.Token) {
		t.Error("sync output holds the token")
	}
}

// A mirror sync creates, or finds empty, gets origin's default branch: a
// clone from it (the failover clone when origin cannot be reached)
// checks out what a clone from origin does. Left to the forge, a
// repository created empty keeps naming its own default, "main", which
// the mirror does not have. Origin's default branch is its forge's word
// (origin on Gitea), else the HEAD it advertises (on git http-backend).
// A mirror that had branches keeps the default its owner chose.
func TestSyncCreatedMirrorTakesOriginsDefaultBranch(t *testing.T) {
	gittest.Isolate(t)
	g := giteaWithOrgs(t, "up", "down")
	gittest.Git(t, "", "config", "--global", "federate."+g.URL+".forge", "gitea")
	work := gittest.NewWorkRepo(t)
	trunk := gittest.Commit(t, work, "a.txt", "a\n", "first")
	alpha := gittest.Commit(t, work, "b.txt", "b\n", "second")
	push := []string{"push", "-q", "", trunk + ":refs/heads/trunk", alpha + ":refs/heads/alpha"}

	// On Gitea, its API says trunk (Gitea does not advertise HEAD).
	g.API(t, "POST", "/api/v1/orgs/up/repos", map[string]any{"name": "app"}, nil)
	push[2] = g.URL + "/up/app.git"
	if _, err := gittest.GitErr(work, g.GitEnv(), push...); err != nil {
		t.Fatal(err)
	}
	g.API(t, "PATCH", "/api/v1/repos/up/app", map[string]any{"default_branch": "trunk"}, nil)
	// On git http-backend, HEAD names trunk.
	srv := gittest.NewServer(t, gittest.Auth{})
	for _, name := range []string{"tool", "lib", "keep"} {
		srv.InitBare(t, name+".git")
		push[2] = srv.RepoURL(name + ".git")
		gittest.Git(t, work, push...)
		gittest.Git(t, srv.Path(name+".git"), "symbolic-ref", "HEAD", "refs/heads/trunk")
	}
	// down/lib exists, empty; down/keep has alpha, its default.
	g.API(t, "POST", "/api/v1/orgs/down/repos", map[string]any{"name": "lib"}, nil)
	g.API(t, "POST", "/api/v1/orgs/down/repos", map[string]any{"name": "keep"}, nil)
	if _, err := gittest.GitErr(work, g.GitEnv(), "push", "-q", g.URL+"/down/keep.git", alpha+":refs/heads/alpha"); err != nil {
		t.Fatal(err)
	}
	g.API(t, "PATCH", "/api/v1/repos/down/keep", map[string]any{"default_branch": "alpha"}, nil)

	for _, c := range []struct{ name, origin string }{
		{"app", g.URL + "/up/app.git"},
		{"tool", srv.RepoURL("tool.git")},
		{"lib", srv.RepoURL("lib.git")},
		{"keep", srv.RepoURL("keep.git")},
	} {
		gittest.Git(t, "", "config", "--global", "federation."+c.name+".origin", c.origin)
		gittest.Git(t, "", "config", "--global", "federation."+c.name+".mirror", g.URL+"/down/"+c.name+".git")
		gittest.Git(t, "", "config", "--global", "federation."+c.name+".createMissing", "true")
	}
	_, errOut := syncAllOK(t)
	for name, want := range map[string]string{"app": "trunk", "tool": "trunk", "lib": "trunk", "keep": "alpha"} {
		var made struct {
			DefaultBranch string `json:"default_branch"`
		}
		g.API(t, "GET", "/api/v1/repos/down/"+name, nil, &made)
		if made.DefaultBranch != want {
			t.Errorf("mirror down/%s's default branch: %q, want %s", name, made.DefaultBranch, want)
		}
		said := strings.Contains(errOut.String(), name+": set the default branch of "+g.URL+"/down/"+name+".git to trunk, as origin's")
		if said != (want == "trunk") {
			t.Errorf("%s: sync said it set the default branch: %v", name, said)
		}
	}
	if t.Failed() {
		t.Log(errOut.String())
	}
}

// `sync --daemon --all` over a federationset follows the set from run to
// run: a push to a member's origin reaches its mirror at the next run, a
// repository added to the origin owner is mirrored then, as `sync --all`
// run again would. (It listed the set once, at start, and skipped every
// later run as unchanged by the forge.)
func TestSyncDaemonFollowsAFederationSet(t *testing.T) {
	gittest.Isolate(t)
	g := giteaWithOrgs(t, "up", "down")
	work := gittest.NewWorkRepo(t)
	pushTo := func(repo, file string) string {
		head := gittest.Commit(t, work, file, file+"\n", "work on "+file)
		if _, err := gittest.GitErr(work, g.GitEnv(), "push", "-q", g.URL+"/up/"+repo+".git", "HEAD:refs/heads/main"); err != nil {
			t.Fatal(err)
		}
		return head
	}
	g.API(t, "POST", "/api/v1/orgs/up/repos", map[string]any{"name": "r1"}, nil)
	pushTo("r1", "a.txt")
	configGlobal(t, [][2]string{
		{"federationset.acme.origin", g.URL + "/up"},
		{"federationset.acme.mirror", g.URL + "/down"},
		{"federationset.acme.createMissing", "true"},
		{"federationset.acme.frequency", "5 mins"},
		{"federate." + g.URL + ".forge", "gitea"},
	})
	clock := gittest.NewFakeClock()
	logs := newLog()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runSync(ctx, SyncOptions{IO: IO{In: strings.NewReader(""), Out: io.Discard, Err: logs}, All: true, Jobs: 2, Daemon: true,
			Clock: clock, SyncEnv: SyncEnv{Exe: filepath.Join(gittest.BinDir(t), "git-federate"), LockWait: time.Minute}})
	}()
	mirrorHas := func(repo, head string) func() bool {
		return func() bool {
			got, err := gittest.GitErr("", g.GitEnv(), "ls-remote", g.URL+"/down/"+repo+".git", "refs/heads/main")
			return err == nil && strings.HasPrefix(got, head)
		}
	}
	gittest.WaitFor(t, "the first run", func() bool { return strings.Contains(logs.String(), `msg="sync done" federation=acme/r1`) })

	second := pushTo("r1", "b.txt")
	g.API(t, "POST", "/api/v1/orgs/up/repos", map[string]any{"name": "r2"}, nil)
	r2 := pushTo("r2", "c.txt")
	clock.Advance(5 * time.Minute)
	gittest.WaitFor(t, "r1's push on its mirror", mirrorHas("r1", second))
	gittest.WaitFor(t, "the new repository r2 mirrored", mirrorHas("r2", r2))
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("daemon: %v\n%s", err, logs.String())
	}
}

// status (and sync --dry-run) create nothing, but a missing mirror that
// sync would create (createMissing, a forge with an API) says so.
func TestStatusSaysSyncCreatesAMissingMirror(t *testing.T) {
	gittest.Isolate(t)
	g := giteaWithOrgs(t, "up", "down")
	g.API(t, "POST", "/api/v1/orgs/up/repos", map[string]any{"name": "app", "auto_init": true}, nil)
	configGlobal(t, [][2]string{
		{"federation.app.origin", g.URL + "/up/app.git"},
		{"federation.app.mirror", g.URL + "/down/app.git"},
		{"federation.app.createMissing", "true"},
		{"federate." + g.URL + ".forge", "gitea"},
	})
	var out, errOut bytes.Buffer
	err := runStatus(t.Context(), StatusOptions{IO: IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, Names: []string{"app"},
		SyncEnv: SyncEnv{Exe: filepath.Join(gittest.BinDir(t), "git-federate")}})
	if code := exitCode(err, &errOut); code != ExitPartial || !strings.Contains(out.String(), "`git federate sync app` creates it (createMissing)") {
		t.Errorf("status: exit %d, want 3 and the hint\n%s%s", code, out.String(), errOut.String())
	}
	if _, err := gittest.GitErr("", g.GitEnv(), "ls-remote", g.URL+"/down/app.git"); err == nil {
		t.Error("status created the mirror")
	}
}
