package fedcmd

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestSyncHidesEchoedToken: a mirror that echoes the credentials back in
// its refusal puts neither the token nor its base64 nor a terminal escape
// into sync's output, sync --json or status --json.
func TestSyncHidesEchoedToken(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.commitOrigin(t, "main", "new.txt")
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git", Echo: true})
	runs := []runOut{fx.sync(t, SyncOptions{}), fx.sync(t, SyncOptions{JSON: true}), fx.status(t, StatusOptions{JSON: true})}
	all := ""
	for _, r := range runs {
		all += r.out + r.errOut
	}
	if !strings.Contains(all, "access denied") {
		t.Fatalf("the mirror's refusal is not reported:\n%s", all)
	}
	for _, bad := range []string{syncToken, base64.StdEncoding.EncodeToString([]byte(syncToken)), "\x1b", "\x07"} {
		if strings.Contains(all, bad) {
			t.Errorf("output holds %q:\n%q", bad, all)
		}
	}
}
