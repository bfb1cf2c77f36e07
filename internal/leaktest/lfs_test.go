package leaktest

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// TestLFSLeaksNothing: a push and a clone of a repository with an LFS
// file, through an origin and a mirror on real Gitea LFS servers, with
// every git and git-lfs trace on. git-lfs runs as the pre-push hook and
// the smudge filter and asks git for credentials; the helper uploads to
// the mirror itself. No token may show in any command line (git-lfs's
// children included), output, trace or config.
func TestLFSLeaksNothing(t *testing.T) {
	home := gittest.Isolate(t)
	origin, mirror := gittest.StartGiteaLFS(t), gittest.StartGiteaLFS(t)
	var repos []string
	for _, g := range []*gittest.Gitea{origin, mirror} {
		u, _ := url.Parse(g.URL)
		t.Setenv(keystore.EnvName(u.Host), g.Token)
		repos = append(repos, g.CreateRepo(t, "r").CloneURL)
	}
	gittest.Git(t, "", "lfs", "install")
	gittest.Git(t, "", "config", "--global", "federation.fed.origin", repos[0])
	gittest.Git(t, "", "config", "--global", "federation.fed.mirror", repos[1])
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, "", "init", "-q", work)
	gittest.Git(t, work, "remote", "add", "fed", "federate::fed")
	gittest.Git(t, work, "lfs", "track", "*.bin")
	if err := os.WriteFile(filepath.Join(work, "big.bin"), []byte(strings.Repeat("large file\n", 5000)), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, work, "add", ".gitattributes", "big.bin")
	gittest.Git(t, work, "commit", "-qm", "lfs")

	env, t2 := traceEnv(t)
	env = append(env, "GIT_TRANSFER_TRACE=1")
	clone := filepath.Join(t.TempDir(), "clone")
	w := watchExec(t)
	out, err := w.run(t, work, "", env, "git", "push", "fed", "HEAD:refs/heads/main")
	if err != nil {
		t.Fatalf("git push: %v\n%s", err, out)
	}
	cloneOut, err := w.run(t, "", "", env, "git", "clone", "federate::fed", clone)
	if err != nil {
		t.Fatalf("git clone: %v\n%s", err, cloneOut)
	}
	for _, tok := range []string{origin.Token, mirror.Token} {
		w.finish(t, tok, "git-remote-federate", "git-lfs")
	}
	if b, _ := os.ReadFile(filepath.Join(clone, "big.bin")); !strings.HasPrefix(string(b), "large file") {
		t.Fatalf("the clone checked out no LFS content: %q", b)
	}
	for _, g := range []*gittest.Gitea{origin, mirror} {
		for _, where := range []struct{ name, text string }{
			{"push and clone output (every trace on)", withoutServerEcho(out + cloneOut)},
			{"GIT_TRACE2_EVENT file", fileText(t, t2)},
			{"~/.gitconfig", fileText(t, filepath.Join(home, ".gitconfig"))},
			{"the work repository's .git/config", fileText(t, filepath.Join(work, ".git", "config"))},
			{"the clone's .git/config", fileText(t, filepath.Join(clone, ".git", "config"))},
			{"the clone's git-lfs logs", lfsLogs(t, clone)},
		} {
			assertClean(t, where.name, where.text, g.Token)
			if strings.Contains(where.text, gittest.BasicAuthHeader(g.User, g.Token)) {
				t.Errorf("token leaked into %s as a Basic header for %s", where.name, g.User)
			}
		}
	}
}

// lfsLogs is what git-lfs logged in repo's .git/lfs/logs.
func lfsLogs(t *testing.T, repo string) string {
	paths, _ := filepath.Glob(filepath.Join(repo, ".git", "lfs", "logs", "*"))
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(fileText(t, p))
	}
	return b.String()
}

// serverEcho is an Authorization header inside a JSON answer: Gitea
// (GitLab too) repeats the request's header in each action of an LFS
// batch answer, and git-lfs's GIT_TRACE prints answers whole, with or
// without this program (the manual warns about sharing such traces).
var serverEcho = regexp.MustCompile(`"Authorization":"Basic [A-Za-z0-9+/=]+"`)

// withoutServerEcho blanks those echoes only: the token in any other
// form, a header line or JSON of ours, still fails the test.
func withoutServerEcho(out string) string {
	return serverEcho.ReplaceAllString(out, `"Authorization":"(server echo)"`)
}
