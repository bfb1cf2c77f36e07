package fedcmd

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestListMasksCredentials: a URL written into config with a password or
// token is shown masked by list and list --json, and the error about it
// holds no secret either.
func TestListMasksCredentials(t *testing.T) {
	gittest.Isolate(t)
	gittest.Git(t, "", "config", "--global", "federation.leak.origin", "http://u:SECRET1@127.0.0.1/r.git")
	gittest.Git(t, "", "config", "--global", "federation.leak.mirror", "https://gitee.com/r.git?access_token=SECRET2")
	for _, json := range []bool{false, true} {
		stdio, out, errOut := testIO("")
		err := runList(t.Context(), stdio, ListOptions{JSON: json, Dir: t.TempDir()})
		all := out.String() + errOut.String()
		if err != nil {
			all += err.Error()
		}
		if strings.Contains(all, "SECRET") {
			t.Errorf("json=%v: list shows a secret:\n%s", json, all)
		}
		if !strings.Contains(all, "http://u:***@127.0.0.1/r.git") {
			t.Errorf("json=%v: masked origin not shown:\n%s", json, all)
		}
	}
}
