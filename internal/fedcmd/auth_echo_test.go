package fedcmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// TestAuthJSONHidesEchoedToken: a git server that echoes the credentials
// back in its refusal puts neither the token nor its base64 into
// `auth --json` or `login`'s error.
func TestAuthJSONHidesEchoedToken(t *testing.T) {
	d, _ := tokenEnv(t)
	d.Exe = filepath.Join(gittest.BinDir(t), "git-federate")
	srv := gittest.NewServer(t, gittest.Auth{Token: "echoed-token"})
	repo := srv.InitBare(t, "app.git")
	srv.AddFault(gittest.Fault{Prefix: "/app.git", Echo: true})
	gittest.Git(t, "", "config", "--global", "federation.e.origin", repo)
	t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), "echoed-token")
	secrets := []string{"echoed-token", base64.StdEncoding.EncodeToString([]byte("echoed-token")),
		gittest.BasicAuthHeader("x-access-token", "echoed-token"), "\x1b"}

	var out, errb bytes.Buffer
	err := runAuth(context.Background(), AuthOptions{JSON: true, IO: IO{Out: &out, Err: &errb}, Deps: d})
	if err == nil || !strings.Contains(out.String(), "access denied") {
		t.Fatalf("auth = %v, want a failure with the server's words:\n%s", err, out.String())
	}
	stderr, err := login(t, d, repo, "echoed-token\n")
	all := out.String() + errb.String() + stderr
	if err != nil {
		all += err.Error()
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("output holds %q:\n%q", s, all)
		}
	}
}
