package fedcmd

import (
	"net/url"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// `git federate sync` to a self-hosted Gitee mirror (forge = gitee)
// without credential.<url>.username says how to set the account name
// when the mirror refuses the push, as a push through the helper does.
func TestSyncSelfHostedGiteeRefusalNamesTheAccountSetting(t *testing.T) {
	fx := newSyncFixture(t, 0)
	gitee := gittest.NewServer(t, gittest.Auth{Token: syncToken, Username: "mirror-account"})
	mirror := gitee.InitBare(t, "mirror.git")
	u, _ := url.Parse(gitee.URL)
	t.Setenv("FEDERATE_TOKEN_127_0_0_1_"+u.Port(), syncToken)
	gittest.Git(t, "", "config", "--global", "--add", "federation.demo.mirror", mirror)
	gittest.Git(t, "", "config", "--global", "federate."+gitee.URL+".forge", "gitee")
	fx.commitOrigin(t, "main", "a.txt")
	r := fx.sync(t, SyncOptions{})
	want := "Gitee needs the account name with a token: set it with `git config --global credential." + gitee.URL + ".username <account>`"
	if r.code == ExitOK || !strings.Contains(r.out+r.errOut, want) {
		t.Errorf("sync exit %d; want the hint %q\n%s\n%s", r.code, want, r.out, r.errOut)
	}
}
