package keystore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var onEnv = env(map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"})

func TestKeyringStoreReadReplaceDelete(t *testing.T) {
	ctx := context.Background()
	kr := Keyring{Backend: newFake(), Getenv: onEnv}
	k := Key{Protocol: "https", Host: "gitee.com"}
	if _, err := kr.Get(ctx, k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty keyring: %v", err)
	}
	for _, tok := range []string{"first", "second"} {
		if err := kr.Set(ctx, k, Credential{Token: tok}); err != nil {
			t.Fatal(err)
		}
		c, err := kr.Get(ctx, k)
		if err != nil || c.Token != tok || c.Source != SourceKeyring {
			t.Fatalf("Get = %+v, %v; want %q from keyring", c, err, tok)
		}
	}
	if err := kr.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := kr.Delete(ctx, k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if err := kr.Set(ctx, k, Credential{Token: "a\nb"}); err == nil {
		t.Fatal("a token with a newline was stored")
	}
}

func TestKeyringOffAndNoBusNeverTouchBackend(t *testing.T) {
	ctx := context.Background()
	k := Key{Protocol: "https", Host: "example.com"}
	for name, getenv := range map[string]func(string) string{
		"off":    env(map[string]string{"FEDERATE_KEYRING": "off", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}),
		"no bus": env(map[string]string{"XDG_RUNTIME_DIR": t.TempDir()}),
	} {
		fb := newFake()
		fb.block = make(chan struct{}) // any call would hang
		kr := Keyring{Backend: fb, Getenv: getenv}
		_, err := kr.Get(ctx, k)
		if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrKeyringUnavailable) {
			t.Errorf("%s: Get = %v, want not found + unavailable", name, err)
		}
		if err := kr.Set(ctx, k, Credential{Token: "t"}); !errors.Is(err, ErrKeyringUnavailable) {
			t.Errorf("%s: Set = %v, want ErrKeyringUnavailable", name, err)
		}
		if err := kr.Delete(ctx, k); !errors.Is(err, ErrKeyringUnavailable) {
			t.Errorf("%s: Delete = %v", name, err)
		}
		if fb.calls != 0 {
			t.Errorf("%s: backend called %d times", name, fb.calls)
		}
	}
}

func TestKeyringTimeoutIsTyped(t *testing.T) {
	fb := newFake()
	fb.block = make(chan struct{})
	t.Cleanup(func() { close(fb.block) })
	kr := Keyring{Backend: fb, Getenv: onEnv, Timeout: 20 * time.Millisecond}
	_, err := kr.Get(context.Background(), Key{Protocol: "https", Host: "h"})
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "get" || !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("Get on a blocked keyring = %v, want *TimeoutError", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Fatal("a timeout must not look like 'no token'")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	kr.Timeout = time.Hour
	if err := kr.Delete(ctx, Key{Protocol: "https", Host: "h"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Delete with a cancelled ctx = %v", err)
	}
}

func TestChainFirstHitWinsWithSource(t *testing.T) {
	ctx := context.Background()
	fb := newFake()
	vars := map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}
	opts := Options{Getenv: env(vars), Keyring: fb, Forge: func(string) string { return "github" }}
	c := Default(opts)
	k := Key{Protocol: "https", Host: "github.com"}
	if err := opts.KeyringStore().Set(ctx, k, Credential{Token: "kr"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(ctx, k); got.Source != SourceKeyring || got.Token != "kr" {
		t.Fatalf("got %+v, want keyring", got)
	}
	vars["GITHUB_TOKEN"] = "gh2"
	if got, _ := c.Get(ctx, k); got.Source != "env:GITHUB_TOKEN" {
		t.Fatalf("got source %q", got.Source)
	}
	vars["GH_TOKEN"] = "gh1"
	vars["FEDERATE_TOKEN_GITHUB_COM"] = "fed"
	if got, _ := c.Get(ctx, k); got.Source != "env:FEDERATE_TOKEN_GITHUB_COM" || got.Token != "fed" {
		t.Fatalf("got %+v", got)
	}
}

// serve runs one credential request through h and returns its answer.
func serve(t *testing.T, h Helper, op, req string) string {
	t.Helper()
	var out bytes.Buffer
	if err := h.Serve(context.Background(), op, strings.NewReader(req), &out); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out.String()
}

func readFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func TestCallbackApprovesAndRejectsOnlyGitCredentialTokens(t *testing.T) {
	home := gittest.Isolate(t)
	gittest.Git(t, "", "config", "--global", "credential.helper", "store")
	creds := filepath.Join(home, ".git-credentials")
	if err := os.WriteFile(creds, []byte("https://alice:fromstore@git.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fb := newFake()
	vars := map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}
	gc := &GitCredential{}
	opts := Options{Getenv: env(vars), Keyring: fb, GitCredential: gc}
	h := Helper{Store: Default(opts), Mode: ModeCallback, GitCredential: gc}

	got := serve(t, h, "get", "protocol=https\nhost=git.example.com\n\n")
	if !strings.Contains(got, "password=fromstore\n") || !strings.Contains(got, "username=alice\n") {
		t.Fatalf("get answered %q", got)
	}
	serve(t, h, "erase", "protocol=https\nhost=git.example.com\nusername=alice\npassword=fromstore\n\n")
	if s := readFile(t, creds); strings.Contains(s, "fromstore") {
		t.Fatalf("a rejected git-credential token is still stored: %q", s)
	}

	// A keyring token: neither written to ~/.git-credentials nor deleted.
	k := Key{Protocol: "https", Host: "kr.example.com"}
	if err := opts.KeyringStore().Set(context.Background(), k, Credential{Token: "fromkeyring"}); err != nil {
		t.Fatal(err)
	}
	req := "protocol=https\nhost=kr.example.com\nusername=x-access-token\npassword=fromkeyring\n\n"
	serve(t, h, "store", req)
	serve(t, h, "erase", req)
	if s := readFile(t, creds); strings.Contains(s, "fromkeyring") {
		t.Fatalf("keyring token written to ~/.git-credentials: %q", s)
	}
	if c, err := opts.KeyringStore().Get(context.Background(), k); err != nil || c.Token != "fromkeyring" {
		t.Fatalf("keyring token gone after erase: %v", err)
	}
}

func TestUserHelperStoresInKeyringAndRefusesErase(t *testing.T) {
	gittest.Isolate(t)
	fb := newFake()
	opts := Options{Getenv: env(map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}), Keyring: fb}
	var stderr bytes.Buffer
	h := Helper{Store: Default(opts), Mode: ModeUserHelper, Keyring: opts.KeyringStore(), Stderr: &stderr}
	req := "protocol=https\nhost=gitlab.example.com\nusername=me\npassword=typed\n\n"
	if got := serve(t, h, "get", req); got != "" {
		t.Fatalf("get with nothing stored answered %q", got)
	}
	serve(t, h, "store", req)
	k := Key{Protocol: "https", Host: "gitlab.example.com"}
	if c, err := opts.KeyringStore().Get(context.Background(), k); err != nil || c.Token != "typed" {
		t.Fatalf("store did not reach the keyring: %+v %v", c, err)
	}
	serve(t, h, "erase", req)
	if _, err := opts.KeyringStore().Get(context.Background(), k); err != nil {
		t.Fatalf("erase deleted the keyring token: %v", err)
	}
	if !strings.Contains(stderr.String(), "git federate login https://gitlab.example.com") || strings.Contains(stderr.String(), "typed") {
		t.Fatalf("erase hint = %q", stderr.String())
	}
}

func TestUsernamesPerForge(t *testing.T) {
	opts := Options{Getenv: env(map[string]string{"GITEE_TOKEN": "t", "GITLAB_TOKEN": "g"}),
		Forge: func(h string) string { return map[string]string{"gitee.com": "gitee", "gl.example.com": "gitlab"}[h] }}
	opts.Getenv = env(map[string]string{"GITEE_TOKEN": "t", "GITLAB_TOKEN": "g", "FEDERATE_KEYRING": "off"})
	h := Helper{Store: Default(opts), Usernames: ForgeUsernames(opts.Forge)}
	if got := serve(t, h, "get", "protocol=https\nhost=gl.example.com\n\n"); !strings.Contains(got, "username=oauth2\n") {
		t.Fatalf("gitlab: %q", got)
	}
	if got := serve(t, h, "get", "protocol=https\nhost=gitee.com\nusername=alice\n\n"); !strings.Contains(got, "username=alice\npassword=t\n") && !strings.Contains(got, "username=alice") {
		t.Fatalf("gitee with username: %q", got)
	}
	err := h.Serve(context.Background(), "get", strings.NewReader("protocol=https\nhost=gitee.com\n\n"), &bytes.Buffer{})
	if !errors.Is(err, ErrNoUsername) || !strings.Contains(err.Error(), "credential.https://gitee.com.username") {
		t.Fatalf("gitee without username: %v", err)
	}
}

// With the keyring turned off by the user, `store` (which git runs after
// every command that used a credential) says nothing; with a keyring that
// cannot be reached it says the token was not kept.
func TestUserHelperStoreWithoutAKeyring(t *testing.T) {
	gittest.Isolate(t)
	req := "protocol=https\nhost=gitlab.example.com\nusername=me\npassword=typed\n\n"
	for _, c := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"FEDERATE_KEYRING": "off"}, ""},
		{map[string]string{}, "could not store the token for https://gitlab.example.com in the OS keyring"},
	} {
		opts := Options{Getenv: env(c.vars), Keyring: newFake()}
		var stderr bytes.Buffer
		h := Helper{Store: Default(opts), Mode: ModeUserHelper, Keyring: opts.KeyringStore(), Stderr: &stderr}
		serve(t, h, "store", req)
		if got := stderr.String(); c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%v: stderr %q, want %q", c.vars, got, c.want)
		}
	}
}
