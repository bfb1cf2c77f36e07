package leaktest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// traceEnv turns on every trace git has and returns the trace2 file.
func traceEnv(t *testing.T) ([]string, string) {
	t2 := filepath.Join(t.TempDir(), "trace2.json")
	return []string{"GIT_TRACE=1", "GIT_TRACE2_EVENT=" + t2, "GIT_CURL_VERBOSE=1",
		"GIT_TRACE_CURL=1", "GIT_TRACE_PACKET=1", "GIT_TRACE_FEDERATE=1"}, t2
}

// checkEverywhere asserts the token is in none of the places a user can
// read after a command ran.
func checkEverywhere(t *testing.T, f fixture, out, trace2 string, repos ...string) {
	t.Helper()
	assertClean(t, "command output (with GIT_TRACE, GIT_CURL_VERBOSE)", out, token)
	assertClean(t, "GIT_TRACE2_EVENT file", fileText(t, trace2), token)
	assertClean(t, "~/.git-credentials", fileText(t, filepath.Join(f.home, ".git-credentials")), token)
	assertClean(t, "~/.gitconfig", fileText(t, filepath.Join(f.home, ".gitconfig")), token)
	for _, r := range repos {
		assertClean(t, r+"/.git/config", fileText(t, filepath.Join(r, ".git", "config")), token)
	}
}

// tokenWasUsed fails unless the server saw an authenticated request, so
// a test cannot pass by never sending the token.
func tokenWasUsed(t *testing.T, f fixture) {
	t.Helper()
	for _, r := range f.srv.Requests() {
		if r.Authorization != "" {
			return
		}
	}
	t.Fatal("the server never saw credentials: the test proves nothing")
}

func TestLsRemoteLeaksNothing(t *testing.T) {
	f := newFixture(t, gittest.Auth{})
	t.Setenv(f.hostVar(), token)
	gittest.Git(t, "", "config", "--global", "credential.helper", "store")
	env, t2 := traceEnv(t)
	w := watchExec(t)
	out, err := w.run(t, "", "", env, "git", "ls-remote", "federate::fed")
	w.finish(t, token, "git-remote-federate")
	if err != nil || !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("ls-remote federate::fed: %v\n%s", err, out)
	}
	tokenWasUsed(t, f)
	checkEverywhere(t, f, out, t2)
}

// TestCloneLeaksNothing needs the helper's fetch (being written
// elsewhere); it passes once clone through federate:: works.
func TestCloneLeaksNothing(t *testing.T) {
	f := newFixture(t, gittest.Auth{})
	t.Setenv(f.hostVar(), token)
	gittest.Git(t, "", "config", "--global", "credential.helper", "store")
	env, t2 := traceEnv(t)
	dst := filepath.Join(t.TempDir(), "clone")
	w := watchExec(t)
	out, err := w.run(t, "", "", env, "git", "clone", "federate::fed", dst)
	w.finish(t, token, "git-remote-federate")
	if err != nil {
		t.Fatalf("clone federate::fed: %v\n%s", err, out)
	}
	tokenWasUsed(t, f)
	checkEverywhere(t, f, out, t2, dst)
	// Something new on origin, so the fetch moves objects.
	up := filepath.Join(t.TempDir(), "up")
	gittest.Git(t, "", "clone", "-q", f.srv.Path("app.git"), up)
	gittest.Commit(t, up, "more.txt", "more\n", "more")
	gittest.Git(t, up, "push", "-q", "origin", "main")
	w = watchExec(t)
	out, err = w.run(t, dst, "", env, "git", "fetch", "origin")
	w.finish(t, token, "git-remote-federate")
	if err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	checkEverywhere(t, f, out, t2, dst)
}

// TestPushLeaksNothing needs the helper's push (being written elsewhere);
// it passes once `git push` to a federate:: remote works.
func TestPushLeaksNothing(t *testing.T) {
	f := newFixture(t, gittest.Auth{})
	t.Setenv(f.hostVar(), token)
	gittest.Git(t, "", "config", "--global", "credential.helper", "store")
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, "", "clone", "-q", f.srv.Path("app.git"), work)
	gittest.Git(t, work, "remote", "add", "fed", "federate::fed")
	gittest.Commit(t, work, "new.txt", "new\n", "new")
	env, t2 := traceEnv(t)
	w := watchExec(t)
	out, err := w.run(t, work, "", env, "git", "push", "fed", "main")
	w.finish(t, token, "git-remote-federate")
	if err != nil {
		t.Fatalf("git push fed main: %v\n%s", err, out)
	}
	if got, want := gittest.RefOf(t, f.srv.Path("app.git"), "refs/heads/main"), gittest.Git(t, work, "rev-parse", "HEAD"); got != want {
		t.Fatalf("origin main = %s, want %s", got, want)
	}
	tokenWasUsed(t, f)
	checkEverywhere(t, f, out, t2, work)
}

func TestWrongTokenErrorLeaksNothing(t *testing.T) {
	f := newFixture(t, gittest.Auth{Token: "the-right-one-xyz"})
	t.Setenv(f.hostVar(), token) // wrong for this server
	env, t2 := traceEnv(t)
	w := watchExec(t)
	out, err := w.run(t, "", "", env, "git", "ls-remote", "federate::fed")
	w.finish(t, token, "git-remote-federate")
	if err == nil {
		t.Fatalf("ls-remote with a wrong token succeeded:\n%s", out)
	}
	tokenWasUsed(t, f)
	checkEverywhere(t, f, out, t2)
}

// TestForbiddenErrorLeaksNothing is Gitee's answer to a token sent with
// the wrong account name: 403 after the token went out.
func TestForbiddenErrorLeaksNothing(t *testing.T) {
	f := newFixture(t, gittest.Auth{Username: "alice"})
	t.Setenv(f.hostVar(), token)
	env, t2 := traceEnv(t)
	out, err := run(t, "", "", env, "git", "ls-remote", "federate::fed")
	if err == nil || !strings.Contains(out, "403") {
		t.Fatalf("ls-remote as the wrong user: %v\n%s", err, out)
	}
	tokenWasUsed(t, f)
	checkEverywhere(t, f, out, t2)
}

// TestReadOnlyTokenPushLeaksNothing: a token without write scope gets 403
// on push. Needs the helper's push (being written elsewhere).
func TestReadOnlyTokenPushLeaksNothing(t *testing.T) {
	f := newFixture(t, gittest.Auth{Token: "write-token-abc", ReadOnlyToken: token})
	t.Setenv(f.hostVar(), token)
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, "", "clone", "-q", f.srv.Path("app.git"), work)
	gittest.Git(t, work, "remote", "add", "fed", "federate::fed")
	gittest.Commit(t, work, "new.txt", "new\n", "new")
	env, t2 := traceEnv(t)
	out, err := run(t, work, "", env, "git", "push", "fed", "main")
	if err == nil {
		t.Fatalf("push with a read-only token succeeded:\n%s", out)
	}
	if !strings.Contains(out, "403") && !strings.Contains(out, "write") {
		t.Errorf("push error does not say the token cannot write:\n%s", out)
	}
	tokenWasUsed(t, f)
	checkEverywhere(t, f, out, t2, work)
}

func TestAuthJSONLeaksNothing(t *testing.T) {
	f := newFixture(t, gittest.Auth{})
	t.Setenv(f.hostVar(), token)
	out, err := run(t, "", "", nil, "git", "federate", "auth", "--json")
	if err != nil || !strings.Contains(out, `"source": "env:`+f.hostVar()+`"`) || !strings.Contains(out, `"valid": true`) {
		t.Fatalf("auth --json: %v\n%s", err, out)
	}
	tokenWasUsed(t, f)
	assertClean(t, "auth --json output", out, token)

	t.Setenv(f.hostVar(), token+"-wrong")
	out, err = run(t, "", "", nil, "git", "federate", "auth", "--json")
	if err == nil || !strings.Contains(out, `"valid": false`) {
		t.Fatalf("auth --json with a wrong token: %v\n%s", err, out)
	}
	assertClean(t, "auth --json output (wrong token)", out, token+"-wrong")
	assertClean(t, "auth --json output (wrong token)", out, token)
}
