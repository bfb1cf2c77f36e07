// Package pushtest runs `git push` through federate:: against real git
// servers (git http-backend with token auth): an origin and two mirrors.
package pushtest

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

func TestMain(m *testing.M) { os.Exit(gittest.Main(m)) }

// server is one git host holding the repository app.git.
type server struct {
	*gittest.Server
	URL  string // of app.git
	Path string // app.git on disk
}

// fed is a federation "fed" of origin and two mirrors, each on its own
// server with its own token, and a working clone with remote "fed".
type fed struct {
	t              *testing.T
	origin, m1, m2 server
	work           string
}

func newServer(t *testing.T, token string) server {
	s := gittest.NewServer(t, gittest.Auth{Token: token})
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(keystore.EnvName(u.Host), token)
	return server{Server: s, URL: s.InitBare(t, "app.git"), Path: s.Path("app.git")}
}

// newFed sets up the federation with one commit on main everywhere.
// extra runs before the clone, to add config.
func newFed(t *testing.T, config ...string) *fed {
	gittest.Isolate(t)
	f := &fed{t: t}
	f.origin = newServer(t, "origin-token")
	f.m1 = newServer(t, "mirror1-token")
	f.m2 = newServer(t, "mirror2-token")
	seed := gittest.NewWorkRepo(t)
	// Seed on disk: the servers need tokens, plain git has none.
	gittest.Seed(t, seed, f.origin.Path, f.m1.Path, f.m2.Path)
	gittest.Git(t, "", "config", "--global", "federation.fed.origin", f.origin.URL)
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", f.m1.URL)
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", f.m2.URL)
	for i := 0; i+1 < len(config); i += 2 {
		gittest.Git(t, "", "config", "--global", config[i], config[i+1])
	}
	f.work = filepath.Join(t.TempDir(), "work")
	gittest.Git(t, "", "clone", "-q", f.origin.Path, f.work)
	gittest.Git(t, f.work, "remote", "add", "fed", "federate::fed")
	return f
}

// push runs `git push` in the work repository and returns its combined
// output; wantOK says whether it must succeed.
func (f *fed) push(wantOK bool, args ...string) string {
	f.t.Helper()
	out, err := gittest.GitCombined(f.work, nil, append([]string{"push"}, args...)...)
	if wantOK && err != nil {
		f.t.Fatalf("git push %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if !wantOK && err == nil {
		f.t.Fatalf("git push %s succeeded, want failure\n%s", strings.Join(args, " "), out)
	}
	f.checkNoSecrets(out)
	return out
}

func (f *fed) commit(file, msg string) string {
	f.t.Helper()
	return gittest.Commit(f.t, f.work, file, msg+"\n", msg)
}

func (f *fed) rev(ref string) string {
	f.t.Helper()
	return gittest.Git(f.t, f.work, "rev-parse", ref)
}

// all returns the three servers.
func (f *fed) all() []server { return []server{f.origin, f.m1, f.m2} }

// wantRef checks ref's value on each server ("" for missing).
func (f *fed) wantRef(ref, want string, servers ...server) {
	f.t.Helper()
	for _, s := range servers {
		if got := gittest.RefOf(f.t, s.Path, ref); got != want {
			f.t.Errorf("%s on %s = %q, want %q", ref, s.URL, got, want)
		}
	}
}

func (f *fed) pendingFile() string {
	b, err := os.ReadFile(filepath.Join(f.work, ".git", "federate", "pending"))
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

func (f *fed) checkNoSecrets(out string) {
	f.t.Helper()
	for _, tok := range []string{"origin-token", "mirror1-token", "mirror2-token"} {
		if strings.Contains(out, tok) || strings.Contains(out, gittest.BasicAuthHeader("x", tok)[4:]) {
			f.t.Fatalf("output contains a token:\n%s", out)
		}
	}
}

func wantContains(t *testing.T, out string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

func wantNotContains(t *testing.T, out string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(out, s) {
			t.Errorf("output has %q:\n%s", s, out)
		}
	}
}

// reportLines are the lines of git's push report for dst.
func reportLines(out, dst string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "->" && f[i+1] == dst {
				n++
			}
		}
	}
	return n
}

// hook installs an executable hook script in a bare repository.
func hook(t *testing.T, repo, name, script string) {
	t.Helper()
	p := filepath.Join(repo, "hooks", name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return gittest.Git(t, dir, args...)
}
