package pushtest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// A self-hosted Gitee mirror (federate.<url>.forge = gitee, on a host
// that is not gitee.com) takes the token only with the account's own
// name. Without credential.<url>.username, a push it refuses says how to
// set the name, whether it refuses with 403 (Gitee's answer to a wrong
// name) or 401, and whether this process pushed it or git's transport
// did. With the name set, a refusal is about the token's scope.
func TestSelfHostedGiteeRefusalNamesTheAccountSetting(t *testing.T) {
	for _, tc := range []struct {
		name      string
		transport bool // through git's transport (viaGitTransport for the mirror)
		status    int  // 0: the server's own 403 to a wrong name
	}{
		{"this process, 403", false, 0},
		{"this process, 401", false, 401},
		{"git's transport, 403", true, 0},
		{"git's transport, 401", true, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFed(t)
			f.m1.SetAuth(gittest.Auth{Token: "mirror1-token", Username: "mirror-account"})
			if tc.status != 0 {
				f.m1.AddFault(gittest.Fault{Prefix: "/app.git", Status: tc.status, Body: "Unauthorized"})
			}
			u, _ := url.Parse(f.m1.URL)
			host := "http://" + u.Host
			gittest.Git(t, "", "config", "--global", "federate."+host+".forge", "gitee")
			way := "direct"
			if tc.transport {
				viaGitTransport(t, host)
				way = "relay"
			}
			f.commit("a.txt", "to a self-hosted Gitee")
			traceWays(t)
			out := f.push(true, "fed", "main")
			wantWay(t, out, f.m1.URL, way)
			wantContains(t, out, "federate: mirror "+f.m1.URL+": push failed:",
				"federate: mirror "+f.m1.URL+": hint: Gitee needs the account name with a token: set it with `git config --global credential."+host+".username <account>`")
			wantNotContains(t, out, "git federate login "+host)
		})
	}

	t.Run("name set, token without write", func(t *testing.T) {
		f := newFed(t)
		f.m1.SetAuth(gittest.Auth{Token: "another-token", ReadOnlyToken: "mirror1-token", Username: "mirror-account"})
		u, _ := url.Parse(f.m1.URL)
		host := "http://" + u.Host
		gittest.Git(t, "", "config", "--global", "federate."+host+".forge", "gitee")
		gittest.Git(t, "", "config", "--global", "credential."+host+".username", "mirror-account")
		f.commit("a.txt", "with the account named")
		out := f.push(true, "fed", "main")
		wantContains(t, out, "federate: mirror "+f.m1.URL+": hint: the token for "+host+" cannot write here")
		if strings.Contains(out, "Gitee needs the account name") {
			t.Errorf("the account-name hint with the name set:\n%s", out)
		}
	})
}
