package keystore

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
)

func TestEnvNameEncoding(t *testing.T) {
	for host, want := range map[string]string{
		"gitee.com":          "FEDERATE_TOKEN_GITEE_COM",
		"my-forge.org":       "FEDERATE_TOKEN_MY__FORGE_ORG",
		"127.0.0.1:8080":     "FEDERATE_TOKEN_127_0_0_1_8080",
		"gitlab.example.com": "FEDERATE_TOKEN_GITLAB_EXAMPLE_COM",
		"gitlab-example.com": "FEDERATE_TOKEN_GITLAB__EXAMPLE_COM",
	} {
		if got := EnvName(host); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", host, got, want)
		}
	}
}

// TestEnvTokenDoesNotReachLookalikeHost: the token for gitlab.example.com
// must not be handed to gitlab-example.com, a name anyone may register.
func TestEnvTokenDoesNotReachLookalikeHost(t *testing.T) {
	e := Env{Getenv: env(map[string]string{"FEDERATE_TOKEN_GITLAB_EXAMPLE_COM": "secret"})}
	if c, err := e.Get(context.Background(), Key{Protocol: "https", Host: "gitlab-example.com"}); err == nil {
		t.Errorf("gitlab-example.com got %+v", c)
	}
	if c, err := e.Get(context.Background(), Key{Protocol: "https", Host: "gitlab.example.com"}); err != nil || c.Token != "secret" {
		t.Errorf("gitlab.example.com got %+v, %v", c, err)
	}
}

// TestNoTokenOverPlainHTTP: a token goes over http:// to loopback only.
func TestNoTokenOverPlainHTTP(t *testing.T) {
	vars := map[string]string{}
	for _, h := range []string{"forge.example.com", "127.0.0.1:3000", "localhost:3000", "[::1]:3000", "127.1.2.3"} {
		vars[EnvName(h)] = "secret"
	}
	for host, wantToken := range map[string]bool{
		"forge.example.com": false, "127.0.0.1:3000": true, "localhost:3000": true, "[::1]:3000": true, "127.1.2.3": true,
	} {
		var out, stderr bytes.Buffer
		h := Helper{Store: Env{Getenv: env(vars)}, Stderr: &stderr}
		req := "protocol=http\nhost=" + host + "\n\n"
		if err := h.Serve(context.Background(), "get", strings.NewReader(req), &out); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(out.String(), "secret"); got != wantToken {
			t.Errorf("http://%s: token handed out = %v, want %v (%q)", host, got, wantToken, out.String())
		}
		if !wantToken && !strings.Contains(stderr.String(), "plain http") {
			t.Errorf("http://%s: no explanation: %q", host, stderr.String())
		}
	}
}

// TestEnvNameIsOneToOne: the hosts whose names could collide get no
// environment token at all; the other of each pair keeps its own.
func TestEnvNameIsOneToOne(t *testing.T) {
	for _, pair := range [][2]string{
		{"git_corp", "git.corp"},
		{"host.8443", "host:8443"},
		{"a-.b", "a.-b"},
		{"a.-b", "a_.b"},
		{"-a.b", "_a.b"},
		{"a.-b.c", "a-b.c"},
		{"x.1", "x:1"},
		{"10.0.0.1.8080", "10.0.0.1:8080"},
	} {
		collides, own := pair[0], pair[1]
		if n := EnvName(collides); n != "" {
			t.Errorf("EnvName(%q) = %q, want none (it collides with %q's)", collides, n, own)
		}
		e := Env{Getenv: env(map[string]string{EnvName(own): "own-token"})}
		if c, err := e.Get(context.Background(), Key{Protocol: "https", Host: collides}); err == nil {
			t.Errorf("%s got %s's token from %s", collides, own, c.Source)
		}
	}
	for _, host := range []string{"git.corp", "host:8443", "x:1", "10.0.0.1:8080", "a-b.c", "[::1]:8080", "127.0.0.1"} {
		if EnvName(host) == "" {
			t.Errorf("EnvName(%q) is empty", host)
		}
	}
}

// TestEnvNameIsCanonical: the name comes from the canonical host, so a
// look-alike never names github.com's variable, and case does not count.
func TestEnvNameIsCanonical(t *testing.T) {
	if got := EnvName("GitHub.COM"); got != "FEDERATE_TOKEN_GITHUB_COM" {
		t.Errorf("EnvName(GitHub.COM) = %q", got)
	}
	for _, h := range lookalikes {
		if got := EnvName(h); got == "FEDERATE_TOKEN_GITHUB_COM" || strings.ContainsFunc(got, func(r rune) bool { return r > 0x7f }) {
			t.Errorf("EnvName(%q) = %q", h, got)
		}
	}
}

// FuzzEnvNameIsOneToOne: two hosts that get the same FEDERATE_TOKEN_
// name are the same host.
func FuzzEnvNameIsOneToOne(f *testing.F) {
	for _, p := range [][2]string{{"git_corp", "git.corp"}, {"host.8443", "host:8443"}, {"a-b.c", "a.-b.c"},
		{"[::1]:80", "[::1:80]"}, {"x--y.z", "x-.-y.z"}, {"127.0.0.1:80", "127.0.0.1.80"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na, nb := EnvName(a), EnvName(b)
		if na == "" || na != nb {
			return
		}
		ca, _ := hostname.Canonical(a)
		cb, _ := hostname.Canonical(b)
		if ca != cb {
			t.Fatalf("%q and %q share %s", ca, cb, na)
		}
	})
}
