package fedcmd

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// git reads GIT_ALLOW_PROTOCOL set but empty as "no protocol at all", and
// GIT_PROTOCOL_FROM_USER set but empty as false (with a protocol git
// allows only from the user). A sync then refuses http as git does, in
// git's words, and its own listings send the server nothing; before, an
// empty variable read as unset and the listings went ahead.
func TestSyncReadsEmptyProtocolVariablesAsGit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		variable string
		userOnly bool // protocol.http.allow = user
	}{
		{"GIT_ALLOW_PROTOCOL", "GIT_ALLOW_PROTOCOL", false},
		{"GIT_PROTOCOL_FROM_USER", "GIT_PROTOCOL_FROM_USER", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newSyncFixture(t, 1)
			if tc.userOnly {
				gittest.Git(t, "", "config", "--global", "protocol.http.allow", "user")
			}
			t.Setenv(tc.variable, "")
			// The yardstick: plain git with the same environment.
			if out, err := gittest.GitCombined("", nil, "ls-remote", fx.origin); err == nil || !strings.Contains(out, "transport 'http' not allowed") {
				t.Fatalf("plain git ls-remote with %s empty: %v\n%s", tc.variable, err, out)
			}
			before := len(fx.srv.Requests())
			r := fx.sync(t, SyncOptions{})
			if r.code == ExitOK || !strings.Contains(r.out+r.errOut, "transport 'http' not allowed") {
				t.Errorf("sync with %s empty: exit %d, want git's refusal:\n%s%s", tc.variable, r.code, r.out, r.errOut)
			}
			if strings.Contains(r.out+r.errOut, syncToken) {
				t.Error("sync's output holds the token")
			}
			for _, s := range requestsSince(fx.srv, before) {
				t.Errorf("the server answered %s %s?%s, want no request", s.Method, s.Path, s.Query)
			}
		})
	}
}
