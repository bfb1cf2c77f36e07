package leaktest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestLoginKeyringLsRemoteLogout is the whole story with the real
// Secret Service: login checks the token with git ls-remote and stores
// it, the helper lists through federate:: with it, logout deletes it.
func TestLoginKeyringLsRemoteLogout(t *testing.T) {
	f := newFixture(t, gittest.Auth{})
	withKeyring(t)
	gittest.Git(t, "", "config", "--global", "credential.helper", "store")
	w := watchExec(t)
	out, err := w.run(t, "", token+"\n", nil, "git", "federate", "login", "--token-stdin", f.url)
	w.finish(t, token, "login --token-stdin")
	if err != nil || !strings.Contains(out, "Stored the token for "+f.srv.URL) {
		t.Fatalf("login: %v\n%s", err, out)
	}
	assertClean(t, "login output", out, token)
	tokenWasUsed(t, f) // login verified with ls-remote
	if got := keyringLookup(t, f.srv.URL); got != token {
		t.Fatalf("secret-tool lookup = %q, want the token", got)
	}

	env, t2 := traceEnv(t)
	out, err = run(t, "", "", env, "git", "ls-remote", "federate::fed")
	if err != nil || !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("ls-remote with the keyring token: %v\n%s", err, out)
	}
	checkEverywhere(t, f, out, t2)

	out, err = run(t, "", "", nil, "git", "federate", "auth", "--json")
	if err != nil || !strings.Contains(out, `"source": "keyring"`) {
		t.Fatalf("auth: %v\n%s", err, out)
	}
	assertClean(t, "auth --json", out, token)

	out, err = run(t, "", "", nil, "git", "federate", "logout", f.url)
	if err != nil || keyringLookup(t, f.srv.URL) != "" {
		t.Fatalf("logout: %v\n%s", err, out)
	}
	if out, err := run(t, "", "", nil, "git", "ls-remote", "federate::fed"); err == nil {
		t.Fatalf("ls-remote after logout succeeded:\n%s", out)
	}
	out, err = run(t, "", "", nil, "git", "federate", "logout", f.url)
	if err == nil || !strings.Contains(out, "no token") {
		t.Fatalf("second logout: %v\n%s", err, out)
	}
}

// TestCloneWithKeyringToken needs the helper's fetch (being written
// elsewhere).
func TestCloneWithKeyringToken(t *testing.T) {
	f := newFixture(t, gittest.Auth{})
	withKeyring(t)
	if out, err := run(t, "", token, nil, "git", "federate", "login", "--token-stdin", f.url); err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	dst := filepath.Join(t.TempDir(), "clone")
	out, err := run(t, "", "", nil, "git", "clone", "federate::fed", dst)
	if err != nil {
		t.Fatalf("clone with the keyring token: %v\n%s", err, out)
	}
	assertClean(t, ".git/config", fileText(t, filepath.Join(dst, ".git", "config")), token)
}

func TestLoginWrongTokenStoresNothing(t *testing.T) {
	f := newFixture(t, gittest.Auth{Token: "right-token-123"})
	withKeyring(t)
	out, err := run(t, "", token, nil, "git", "federate", "login", "--token-stdin", f.url)
	if err == nil || !strings.Contains(out, "refused the token, and nothing was stored") || strings.Contains(out, "run `git federate login") {
		t.Fatalf("login with a wrong token: %v\n%s", err, out)
	}
	tokenWasUsed(t, f)
	assertClean(t, "login error", out, token)
	if got := keyringLookup(t, f.srv.URL); got != "" {
		t.Fatal("a refused token was stored")
	}
}

// TestKeyringTokenSurvives401: after a 401 git asks its helpers to erase
// the credential; neither the callback nor `git credential-federate` may
// delete a keyring token for that.
func TestKeyringTokenSurvives401(t *testing.T) {
	f := newFixture(t, gittest.Auth{Token: "right-token-123"})
	withKeyring(t)
	if out, err := run(t, "", token, nil, "git", "federate", "login", "--no-verify", "--token-stdin", f.url); err != nil {
		t.Fatalf("login --no-verify: %v\n%s", err, out)
	}
	if out, err := run(t, "", "", nil, "git", "ls-remote", "federate::fed"); err == nil {
		t.Fatalf("ls-remote with a wrong token succeeded:\n%s", out)
	}
	if keyringLookup(t, f.srv.URL) != token {
		t.Fatal("the callback deleted the keyring token after a 401")
	}
	// Plain git with credential.helper = federate: it calls erase too.
	gittest.Git(t, "", "config", "--global", "credential.helper", "federate")
	out, err := run(t, "", "", nil, "git", "ls-remote", f.url)
	if err == nil {
		t.Fatalf("plain ls-remote with a wrong token succeeded:\n%s", out)
	}
	if keyringLookup(t, f.srv.URL) != token {
		t.Fatal("git credential-federate erase deleted the keyring token")
	}
	if !strings.Contains(out, "was kept") || !strings.Contains(out, "git federate login "+f.srv.URL) {
		t.Errorf("no hint after the refused erase:\n%s", out)
	}
	assertClean(t, "plain git error", out, token)
}

// TestUserCredentialHelper: plain git, credential.helper = federate,
// reads the keyring token, and a token typed elsewhere is stored there.
func TestUserCredentialHelper(t *testing.T) {
	f := newFixture(t, gittest.Auth{})
	withKeyring(t)
	gittest.Git(t, "", "config", "--global", "credential.helper", "federate")
	if out, err := run(t, "", token, nil, "git", "federate", "login", "--token-stdin", f.url); err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	out, err := run(t, "", "", nil, "git", "ls-remote", f.url)
	if err != nil || !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("plain ls-remote through git-credential-federate: %v\n%s", err, out)
	}
	out, err = run(t, "", "protocol=http\nhost="+strings.TrimPrefix(f.srv.URL, "http://")+"\nusername=u\npassword=typed-tok\n\n",
		nil, "git", "credential", "approve")
	if err != nil || keyringLookup(t, f.srv.URL) != "typed-tok" {
		t.Fatalf("git credential approve did not reach the keyring: %v\n%s", err, out)
	}
}

func TestLoginBusWithoutSecretService(t *testing.T) {
	f := newFixture(t, gittest.Auth{})
	withKeyring(t)
	empty, err := gittest.StartBus()
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Stop()
	out, err := run(t, "", token, empty.Env(), "git", "federate", "login", "--no-verify", "--token-stdin", f.url)
	if err == nil || !strings.Contains(out, "org.freedesktop.secrets was not provided") {
		t.Fatalf("login on a bus without a keyring: %v\n%s", err, out)
	}
	assertClean(t, "login error", out, token)
}

// TestNoBusSkipsKeyringAtOnce: without a session bus, login fails at
// once naming the cause, and the helper still works from the environment.
// The bound is the command's own time limit in run; nothing sleeps.
func TestNoBusSkipsKeyringAtOnce(t *testing.T) {
	f := newFixture(t, gittest.Auth{})
	withKeyring(t)
	noBus := []string{"DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR=" + t.TempDir()}
	out, err := run(t, "", token, noBus, "git", "federate", "login", "--no-verify", "--token-stdin", f.url)
	if err == nil || !strings.Contains(out, "no D-Bus session bus") {
		t.Fatalf("login without a bus: %v\n%s", err, out)
	}
	out, err = run(t, "", "", append(noBus, f.hostVar()+"="+token), "git", "ls-remote", "federate::fed")
	if err != nil || !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("ls-remote without a bus: %v\n%s", err, out)
	}
}
