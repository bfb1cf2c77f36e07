package helper

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestServerEchoIsCleaned has the origin echo the credentials it was sent
// with terminal escapes around them: what git shows the user holds
// neither the token in any form nor a control character.
func TestServerEchoIsCleaned(t *testing.T) {
	f := newFixture(t, "http")
	f.origin.srv.AddFault(gittest.Fault{Prefix: "/app.git", Echo: true})
	for _, args := range [][]string{{"ls-remote", "federate::app"}, {"clone", "-q", "federate::app", t.TempDir() + "/c"}} {
		out, err := gittest.GitCombined(f.work, nil, args...)
		if err == nil {
			t.Fatalf("git %s succeeded against a refusing origin:\n%s", args[0], out)
		}
		if !strings.Contains(out, "access denied for token") {
			t.Errorf("git %s: the server's reason is lost:\n%q", args[0], out)
		}
		for _, bad := range []string{"origin-token",
			base64.StdEncoding.EncodeToString([]byte("origin-token")),
			gittest.BasicAuthHeader("x-access-token", "origin-token")[len("Basic "):],
			"\x1b", "\x07", "\r"} {
			if strings.Contains(out, bad) {
				t.Errorf("git %s output holds %q:\n%q", args[0], bad, out)
			}
		}
	}
}
