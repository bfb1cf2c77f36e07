package gittest

import (
	"strings"
	"testing"
)

func TestServerTokenAuthAndPush(t *testing.T) {
	Isolate(t)
	s := NewServer(t, Auth{Token: "s3cret", Username: "alice"})
	url := s.InitBare(t, "app.git")
	work := NewWorkRepo(t)
	// Large enough that git sends the push body chunked.
	big := strings.Repeat("0123456789abcdef\n", 200000)
	Commit(t, work, "big.txt", big, "big")

	if _, err := GitErr(work, nil, "push", url, "main"); err == nil {
		t.Fatal("push without a token succeeded")
	}
	auth := []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader",
		"GIT_CONFIG_VALUE_0=Authorization: Basic " + BasicAuthHeader("alice", "s3cret")}
	if _, err := GitErr(work, auth, "push", url, "main"); err != nil {
		t.Fatalf("push with token: %v", err)
	}
	if got, want := RefOf(t, s.Path("app.git"), "refs/heads/main"), Git(t, work, "rev-parse", "HEAD"); got != want {
		t.Fatalf("server main = %q, want %q", got, want)
	}
	wrongUser := []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader",
		"GIT_CONFIG_VALUE_0=Authorization: Basic " + BasicAuthHeader("bob", "s3cret")}
	if out, err := GitCombined(work, wrongUser, "ls-remote", url); err == nil || !strings.Contains(out, "403") {
		t.Fatalf("wrong username: err=%v out=%s", err, out)
	}
}

func TestServerFaults(t *testing.T) {
	Isolate(t)
	s := NewServer(t, Auth{})
	url := s.InitBare(t, "app.git")
	s.AddFault(Fault{Prefix: "/app.git", Status: 503, Body: "repository is being read or written", Count: 1})
	out, err := GitCombined("", nil, "ls-remote", url)
	if err == nil || !strings.Contains(out, "503") {
		t.Fatalf("first request: err=%v out=%s", err, out)
	}
	if _, err := GitErr("", nil, "ls-remote", url); err != nil {
		t.Fatalf("second request should pass: %v", err)
	}
}
