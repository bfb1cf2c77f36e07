package helper

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// askpass is a GIT_ASKPASS program that answers git's prompts with a
// username and password and counts the prompts.
type askpass struct {
	path, log string
}

func newAskpass(t *testing.T, user, password string) askpass {
	t.Helper()
	dir := t.TempDir()
	a := askpass{path: filepath.Join(dir, "askpass"), log: filepath.Join(dir, "prompts")}
	script := "#!/bin/sh\necho \"$1\" >> '" + a.log + "'\n" +
		"case \"$1\" in Username*) echo '" + user + "';; *) echo '" + password + "';; esac\n"
	if err := os.WriteFile(a.path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return a
}

// env is the environment that makes git ask a.
func (a askpass) env() []string { return []string{"GIT_ASKPASS=" + a.path} }

// prompts returns and forgets the prompts so far.
func (a askpass) prompts(t *testing.T) []string {
	t.Helper()
	b, _ := os.ReadFile(a.log)
	os.Remove(a.log)
	return strings.Fields(strings.ReplaceAll(string(bytes.TrimSpace(b)), " ", "_"))
}

// passwordServer is an http server that takes one user's password, as a
// forge's Basic auth does, with protocol v0 only when v0 is set.
func passwordServer(t *testing.T, v0 bool) (*gittest.Server, string) {
	t.Helper()
	var srv *gittest.Server
	if v0 {
		srv, _ = v0Server(t)
		srv.SetAuth(gittest.Auth{Username: "alice", Token: "typed-pw"})
		t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), "")
	} else {
		srv = gittest.NewServer(t, gittest.Auth{Username: "alice", Token: "typed-pw"})
		srv.InitBare(t, "app.git")
	}
	work := gittest.NewWorkRepo(t)
	gittest.Seed(t, work, srv.Path("app.git"))
	return srv, srv.RepoURL("app.git")
}

func credentialsFile(t *testing.T) string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(os.Getenv("HOME"), ".git-credentials"))
	return string(b)
}

// TestTypedPasswordSavedByUserHelper types a password at git's prompt
// through federate:: and checks that the user's credential.helper =
// store keeps it, wherever it is configured, so the next command does
// not ask, exactly as with plain git in the same test.
func TestTypedPasswordSavedByUserHelper(t *testing.T) {
	for _, scope := range []string{"global", "local"} {
		t.Run(scope, func(t *testing.T) {
			gittest.Isolate(t)
			_, url := passwordServer(t, false)
			ask := newAskpass(t, "alice", "typed-pw")
			if scope == "global" {
				gittest.Git(t, "", "config", "--global", "credential.helper", "store")
			}
			for _, remote := range []string{url, "federate::" + url} {
				os.Remove(filepath.Join(os.Getenv("HOME"), ".git-credentials"))
				dir := t.TempDir()
				gittest.Git(t, dir, "init", "-q")
				if scope == "local" {
					gittest.Git(t, dir, "config", "credential.helper", "store")
				}
				gittest.Git(t, dir, "remote", "add", "origin", remote)
				if out, err := gittest.GitCombined(dir, ask.env(), "fetch", "origin"); err != nil {
					t.Fatalf("first fetch of %s: %v\n%s", remote, err, out)
				}
				if got := ask.prompts(t); len(got) != 2 {
					t.Errorf("%s: first fetch prompted %q, want a username and a password", remote, got)
				}
				if got := credentialsFile(t); !strings.Contains(got, "alice:typed-pw@") {
					t.Errorf("%s: ~/.git-credentials = %q, want the typed password", remote, got)
				}
				if out, err := gittest.GitCombined(dir, ask.env(), "fetch", "origin"); err != nil {
					t.Fatalf("second fetch of %s: %v\n%s", remote, err, out)
				}
				if got := ask.prompts(t); len(got) != 0 {
					t.Errorf("%s: second fetch prompted %q, want nothing (the helper has it)", remote, got)
				}
			}
		})
	}
}

// TestRefusedPasswordRejectedFromUserHelper checks that a stored
// password the server refuses is erased from the user's helper, as
// plain git does.
func TestRefusedPasswordRejectedFromUserHelper(t *testing.T) {
	gittest.Isolate(t)
	srv, url := passwordServer(t, false)
	gittest.Git(t, "", "config", "--global", "credential.helper", "store")
	host := strings.TrimPrefix(srv.URL, "http://")
	line := "http://alice:old-pw@" + host + "\n"
	if err := os.WriteFile(filepath.Join(os.Getenv("HOME"), ".git-credentials"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gittest.Git(t, dir, "init", "-q")
	if out, err := gittest.GitCombined(dir, nil, "fetch", "federate::"+url); err == nil {
		t.Fatalf("fetch with a refused password succeeded:\n%s", out)
	}
	if got := credentialsFile(t); strings.Contains(got, "old-pw") {
		t.Errorf("~/.git-credentials still holds the refused password: %q", got)
	}
}

// TestTokenNeverReachesUserHelper runs with a token in the environment
// and credential.helper = store set every way git allows, `git -c`
// included: the token is never written to ~/.git-credentials.
func TestTokenNeverReachesUserHelper(t *testing.T) {
	gittest.Isolate(t)
	srv := gittest.NewServer(t, gittest.Auth{Token: "env-token-123"})
	url := srv.InitBare(t, "app.git")
	gittest.Seed(t, gittest.NewWorkRepo(t), srv.Path("app.git"))
	t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), "env-token-123")
	gittest.Git(t, "", "config", "--global", "credential.helper", "store")
	dst := filepath.Join(t.TempDir(), "clone")
	if out, err := gittest.GitCombined("", nil, "-c", "credential.helper=store", "clone", "federate::"+url, dst); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	gittest.Git(t, dst, "config", "credential.helper", "store")
	if out, err := gittest.GitCombined(dst, nil, "-c", "credential.helper=store", "fetch"); err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	if got := credentialsFile(t); strings.Contains(got, "env-token-123") {
		t.Errorf("the token reached ~/.git-credentials: %q", got)
	}
}

// TestFallbackPromptsOnce clones and fetches from a server without
// protocol v2 (the helper lists with one child git and fetches with
// another) with a password typed at git's prompt and no credential
// helper: git asks once per command, as plain git does.
func TestFallbackPromptsOnce(t *testing.T) {
	gittest.Isolate(t)
	_, url := passwordServer(t, true)
	ask := newAskpass(t, "alice", "typed-pw")
	want := map[string]int{}
	for _, remote := range []string{url, "federate::" + url} {
		dst := filepath.Join(t.TempDir(), "clone")
		if out, err := gittest.GitCombined("", ask.env(), "clone", remote, dst); err != nil {
			t.Fatalf("clone %s: %v\n%s", remote, err, out)
		}
		clone := ask.prompts(t)
		if out, err := gittest.GitCombined(dst, ask.env(), "fetch", "origin"); err != nil {
			t.Fatalf("fetch %s: %v\n%s", remote, err, out)
		}
		fetch := ask.prompts(t)
		if remote == url {
			want["clone"], want["fetch"] = len(clone), len(fetch)
			continue
		}
		if len(clone) != want["clone"] || len(fetch) != want["fetch"] {
			t.Errorf("through federate:: git asked %d times for a clone and %d for a fetch (%q, %q); plain git asks %d and %d",
				len(clone), len(fetch), clone, fetch, want["clone"], want["fetch"])
		}
	}
	if want["clone"] != 2 {
		t.Errorf("plain git asked %d times for a clone, want a username and a password", want["clone"])
	}
}
