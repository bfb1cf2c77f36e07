package helper

import (
	"net/url"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// TestRefusalHintNamesTheTokenOnlyWhenThereIsOne: a server that answers
// 403 to a fetch or a push, through federate with real git, is said to
// refuse the token only when federate holds one for it; with none, the
// hint says how to give one (login, or the FEDERATE_TOKEN_ variable).
func TestRefusalHintNamesTheTokenOnlyWhenThereIsOne(t *testing.T) {
	for _, withToken := range []bool{false, true} {
		for _, push := range []bool{false, true} {
			name := map[bool]string{false: "no-token", true: "token"}[withToken] + "/" + map[bool]string{false: "fetch", true: "push"}[push]
			t.Run(name, func(t *testing.T) {
				gittest.Isolate(t)
				srv := gittest.NewServer(t, gittest.Auth{})
				repo := srv.InitBare(t, "app.git")
				u, err := url.Parse(repo)
				if err != nil {
					t.Fatal(err)
				}
				host, variable := u.Scheme+"://"+u.Host, keystore.EnvName(u.Host)
				if withToken {
					t.Setenv(variable, "tok-refused-403")
				}
				work := gittest.NewWorkRepo(t)
				gittest.Commit(t, work, "a.txt", "a", "a")
				srv.AddFault(gittest.Fault{Prefix: "/", Status: 403, Body: "forbidden"})
				args := []string{"ls-remote", "federate::" + repo}
				if push {
					args = []string{"push", "federate::" + repo, "HEAD:refs/heads/main"}
				}
				out, err := gittest.GitCombined(work, nil, args...)
				if err == nil {
					t.Fatalf("git %s against a refusing server succeeded:\n%s", args[0], out)
				}
				tokenHint := "the token for " + host + map[bool]string{false: " cannot read", true: " cannot write"}[push]
				// gittest.Isolate turns the keyring off: login could not store one.
				noTokenHint := "no token for " + host + ": set " + variable + " (the OS keyring is off or unreachable"
				if withToken {
					wantHint(t, out, tokenHint, noTokenHint)
				} else {
					wantHint(t, out, noTokenHint, tokenHint)
				}
			})
		}
	}
}

func wantHint(t *testing.T, out, want, not string) {
	t.Helper()
	if !strings.Contains(out, want) || strings.Contains(out, not) {
		t.Errorf("want the hint %q (and not %q):\n%s", want, not, out)
	}
}
