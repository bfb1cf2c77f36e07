package keystore

import (
	"context"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// lookalikes fold into github.com under Unicode case rules (U+0130 to
// lower case, U+0131 to upper case) but are other registrable domains.
var lookalikes = []string{"gİthub.com", "gıthub.com", "GİTHUB.COM", "gıthub.com:443"}

func githubForge(host string) string {
	if host == "github.com" {
		return "github"
	}
	return ""
}

// TestLookalikeHostGetsNoGitHubToken: neither github.com's own variable,
// nor GH_TOKEN, nor its keyring entry reaches a look-alike host through
// the credential helper.
func TestLookalikeHostGetsNoGitHubToken(t *testing.T) {
	gittest.Isolate(t)
	fb := newFake()
	vars := map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x",
		"FEDERATE_TOKEN_GITHUB_COM": "env-secret", "GH_TOKEN": "gh-secret"}
	opts := Options{Getenv: env(vars), Forge: githubForge, Keyring: fb}
	if err := opts.KeyringStore().Set(context.Background(), Key{Protocol: "https", Host: "github.com"}, Credential{Token: "ring-secret"}); err != nil {
		t.Fatal(err)
	}
	h := Helper{Store: Default(opts), Mode: ModeUserHelper, Keyring: opts.KeyringStore()}
	if got := serve(t, h, "get", "protocol=https\nhost=GitHub.com\n\n"); !strings.Contains(got, "env-secret") {
		t.Fatalf("github.com itself got %q", got)
	}
	for _, host := range lookalikes {
		for _, req := range []string{"protocol=https\nhost=" + host + "\n\n", "url=https://" + host + "/o/r.git\n\n"} {
			if got := serve(t, h, "get", req); strings.Contains(got, "secret") {
				t.Errorf("%q got github.com's token: %q", req, got)
			}
		}
	}
}

// TestStoreForLookalikeKeepsGitHubEntry: `store` for a look-alike host
// writes its own keyring entry, never github.com's.
func TestStoreForLookalikeKeepsGitHubEntry(t *testing.T) {
	gittest.Isolate(t)
	fb := newFake()
	opts := Options{Getenv: env(map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}), Keyring: fb}
	ring := opts.KeyringStore()
	gh := Key{Protocol: "https", Host: "github.com"}
	if err := ring.Set(context.Background(), gh, Credential{Token: "real"}); err != nil {
		t.Fatal(err)
	}
	h := Helper{Store: Default(opts), Mode: ModeUserHelper, Keyring: ring}
	for _, host := range lookalikes {
		serve(t, h, "store", "protocol=https\nhost="+host+"\nusername=x\npassword=phished\n\n")
	}
	if c, err := ring.Get(context.Background(), gh); err != nil || c.Token != "real" {
		t.Fatalf("github.com's keyring entry is now %q, %v", c.Token, err)
	}
	if c, err := ring.Get(context.Background(), Key{Protocol: "https", Host: "gıthub.com"}); err != nil || c.Token != "phished" {
		t.Errorf("the look-alike's own entry: %q, %v", c.Token, err)
	}
	for user := range fb.m {
		if strings.ContainsFunc(user, func(r rune) bool { return r > 0x7f }) {
			t.Errorf("keyring account not in ASCII form: %q", user)
		}
	}
}

// TestHostWithoutASCIIFormGetsNothing: a host that does not convert gets
// no token and a line saying why.
func TestHostWithoutASCIIFormGetsNothing(t *testing.T) {
	var stderr strings.Builder
	h := Helper{Store: Env{Getenv: func(string) string { return "secret" }}, Stderr: &stderr}
	for _, host := range []string{"a\u200db.example", "xn--zzzz-.com", "a..b"} {
		stderr.Reset()
		if got := serve(t, h, "get", "protocol=https\nhost="+host+"\n\n"); got != "" {
			t.Errorf("%q got %q", host, got)
		}
		if !strings.Contains(stderr.String(), "no ASCII form") {
			t.Errorf("%q: no explanation: %q", host, stderr.String())
		}
	}
}

// TestURLHostEndsAsGitReadsIt: git's credential_from_url ends the host
// at the first "/", "?" or "#"; "evil.example?@github.com" is
// evil.example, which gets no github.com token.
func TestURLHostEndsAsGitReadsIt(t *testing.T) {
	vars := map[string]string{"FEDERATE_TOKEN_GITHUB_COM": "secret"}
	h := Helper{Store: Env{Getenv: env(vars), Forge: githubForge}}
	for _, u := range []string{"https://evil.example?@github.com", "https://evil.example#@github.com",
		"https://evil.example/@github.com", "https://evil.example?x=1@github.com/o/r"} {
		if got := serve(t, h, "get", "url="+u+"\n\n"); strings.Contains(got, "secret") {
			t.Errorf("url=%s got github.com's token: %q", u, got)
		}
	}
	for _, tc := range []struct{ url, host, user, path string }{
		{"https://evil.example?@github.com", "evil.example", "", "?@github.com"}, // as git: the rest is the path
		{"https://me@github.com/o/r.git/", "github.com", "me", "o/r.git"},
		{"https://m%40e:pw@git%2dhub.example:8443//o", "git-hub.example:8443", "m@e", "o"},
		{"https://a@b@github.com/x", "b@github.com", "a", "x"},
	} {
		req, err := ReadRequest(strings.NewReader("url=" + tc.url + "\n\n"))
		if err != nil || req["host"] != tc.host || req["username"] != tc.user || req["path"] != tc.path {
			t.Errorf("url=%s: %v %v; want host %q user %q path %q", tc.url, req, err, tc.host, tc.user, tc.path)
		}
	}
	if got := serve(t, h, "get", "url=https://github.com/o/r\n\n"); !strings.Contains(got, "secret") {
		t.Errorf("github.com itself got %q", got)
	}
}
