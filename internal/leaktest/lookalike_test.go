package leaktest

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// lookalikes are other registrable domains that Unicode case folding
// turns into github.com: U+0130 to lower case, U+0131 to upper case.
var lookalikes = []string{"gİthub.com", "gıthub.com"}

// githubTokens puts token in every variable github.com's token is read
// from.
func githubTokens(t *testing.T) {
	t.Setenv("FEDERATE_TOKEN_GITHUB_COM", token)
	t.Setenv("GH_TOKEN", token)
}

// TestLookalikeHostGetsNoTokenThroughCredentialHelper: with
// credential.helper = federate, real git asking for a look-alike host's
// credential gets none of github.com's token; github.com itself gets it,
// so the test can fail.
func TestLookalikeHostGetsNoTokenThroughCredentialHelper(t *testing.T) {
	gittest.Isolate(t)
	githubTokens(t)
	gittest.Git(t, "", "config", "--global", "credential.helper", "federate")
	fill := func(url string) string {
		out, _ := run(t, "", "url="+url+"\n\n", nil, "git", "credential", "fill")
		return out
	}
	if out := fill("https://github.com/o/r.git"); !strings.Contains(out, "password="+token) {
		t.Fatalf("github.com itself got no token: %q", out)
	}
	for _, h := range append(lookalikes, "GİTHUB.COM", "evil.example?@github.com", "evil.example#@github.com") {
		assertClean(t, "credential fill for "+h, fill("https://"+h+"/o/r.git"), token)
	}
	// git-credential-federate read as git would read url=: the host ends
	// at the first "/", "?" or "#".
	for _, u := range []string{"https://evil.example?@github.com", "https://evil.example#@github.com"} {
		out, _ := run(t, "", "url="+u+"\n\n", nil, "git-credential-federate", "get")
		assertClean(t, "git-credential-federate get url="+u, out, token)
	}
}

// TestLookalikeStoreKeepsGitHubKeyringEntry: `store` through real git
// for a look-alike host writes its own keyring entry (in ASCII form)
// and leaves github.com's as it was.
func TestLookalikeStoreKeepsGitHubKeyringEntry(t *testing.T) {
	gittest.Isolate(t)
	withKeyring(t)
	gittest.Git(t, "", "config", "--global", "credential.helper", "federate")
	if out, err := run(t, "", token, nil, "git", "federate", "login", "--no-verify", "--token-stdin", "https://github.com"); err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	t.Cleanup(func() { run(t, "", "", nil, "git", "federate", "logout", "https://github.com") })
	for _, h := range lookalikes {
		in := "protocol=https\nhost=" + h + "\nusername=x\npassword=phished-" + h + "\n\n"
		if out, err := run(t, "", in, nil, "git", "credential", "approve"); err != nil {
			t.Fatalf("approve %s: %v\n%s", h, err, out)
		}
	}
	if got := keyringLookup(t, "https://github.com"); got != token {
		t.Errorf("github.com's keyring entry is now %q", got)
	}
	if got := keyringLookup(t, "https://xn--gthub-n4a.com"); got != "phished-gıthub.com" {
		t.Errorf("the look-alike's own entry is %q", got)
	}
}
