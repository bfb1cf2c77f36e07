package leaktest

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestLoginVerifiesWithGiteaAPI: login checks a token with a real
// forge's API (forge = gitea), stores it in the real keyring, and the
// helper lists a private Gitea repository with it.
func TestLoginVerifiesWithGiteaAPI(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.StartGitea(t)
	withKeyring(t)
	g.API(t, "POST", "/api/v1/user/repos", map[string]any{"name": "app", "private": true, "auto_init": true, "default_branch": "main"}, nil)
	gittest.Git(t, "", "config", "--global", "federate."+g.URL+".forge", "gitea")
	gittest.Git(t, "", "config", "--global", "federation.fed.origin", g.URL+"/"+g.User+"/app.git")

	out, err := run(t, "", "wrong-"+g.Token, nil, "git", "federate", "login", "--token-stdin", g.URL)
	if err == nil || !strings.Contains(out, "401") {
		t.Fatalf("login with a wrong token: %v\n%s", err, out)
	}
	assertClean(t, "login error", out, "wrong-"+g.Token)
	if keyringLookup(t, g.URL) != "" {
		t.Fatal("a refused token was stored")
	}

	out, err = run(t, "", g.Token, nil, "git", "federate", "login", "--token-stdin", g.URL)
	if err != nil || !strings.Contains(out, "(as "+g.User+")") {
		t.Fatalf("login: %v\n%s", err, out)
	}
	assertClean(t, "login output", out, g.Token)
	if keyringLookup(t, g.URL) != g.Token {
		t.Fatal("token not in the keyring")
	}

	out, err = run(t, "", "", nil, "git", "ls-remote", "federate::fed")
	if err != nil || !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("ls-remote of a private Gitea repository: %v\n%s", err, out)
	}
	out, err = run(t, "", "", nil, "git", "federate", "auth", "--json")
	if err != nil || !strings.Contains(out, `"check": "api"`) || !strings.Contains(out, `"source": "keyring"`) {
		t.Fatalf("auth: %v\n%s", err, out)
	}
	assertClean(t, "auth --json", out, g.Token)
}
