package fedcmd

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestLoginReportsMissingScopes: a GitHub classic token without `repo`
// for a host where the configuration has a mirror is stored, with a
// warning that names the scope and where to add it.
func TestLoginReportsMissingScopes(t *testing.T) {
	d, kr := tokenEnv(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/user" || r.Header.Get("Authorization") != "Bearer ghp_good" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-OAuth-Scopes", "read:org, gist, $(rm -rf)")
		w.Write([]byte(`{"login":"octocat"}`))
	}))
	t.Cleanup(api.Close)
	const host = "https://ghe.example.com"
	gittest.Git(t, "", "config", "--global", "federate."+host+".forge", "github")
	gittest.Git(t, "", "config", "--global", "federate."+host+".api", api.URL)
	gittest.Git(t, "", "config", "--global", "federation.p.origin", "https://example.org/o/r.git")
	gittest.Git(t, "", "config", "--global", "federation.p.mirror", host+"/o/r.git")

	out, err := login(t, d, host, "ghp_good\n")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"scopes: gist, read:org\n", "push (a mirror): it needs the scope repo (change it at " + host + "/settings/tokens)", "warning:"} {
		if !strings.Contains(out, want) {
			t.Errorf("login output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "ghp_good") || strings.Contains(out, "$(rm") {
		t.Errorf("login output holds the token or server text that is no scope:\n%q", out)
	}
	if kr.m["git-remote-federate "+host] != "ghp_good" {
		t.Errorf("the token was not stored")
	}
}
