package keystore

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
