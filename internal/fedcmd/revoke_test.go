package fedcmd

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// A token revoked while `sync --all` runs: the federation whose mirror
// needs it fails with the login hint for that host, the others complete,
// and the exit status says the run was partial.
func TestTokenRevokedDuringSyncAll(t *testing.T) {
	fx := newSyncFixture(t, 1)

	// A second host, with its own token, holds the mirror of "other",
	// whose origin is on the first host.
	const token2 = "second-host-token"
	srv2 := gittest.NewServer(t, gittest.Auth{Token: token2})
	u, err := url.Parse(srv2.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FEDERATE_TOKEN_127_0_0_1_"+u.Port(), token2)
	origin2 := fx.srv.InitBare(t, "origin2.git")
	mirror2 := srv2.InitBare(t, "mirror.git")
	gittest.Seed(t, fx.work, fx.srv.Path("origin2.git"), srv2.Path("mirror.git"))
	before := gittest.RefOf(t, srv2.Path("mirror.git"), "refs/heads/main")
	main := fx.commitOrigin(t, "main", "a.txt")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin2.git"), "main")
	gittest.Git(t, "", "config", "--global", "federation.other.origin", origin2)
	gittest.Git(t, "", "config", "--global", "federation.other.mirror", mirror2)

	// The second host's token is revoked once sync has begun: at the
	// first request to the first host, which every federation lists
	// before it pushes anything.
	var once sync.Once
	fx.srv.AddFault(gittest.Fault{Prefix: "/", Hook: func(*http.Request) {
		once.Do(func() { srv2.SetAuth(gittest.Auth{Token: "a-new-token-nobody-has"}) })
	}})

	r := fx.sync(t, SyncOptions{All: true})
	if r.code != ExitPartial {
		t.Fatalf("sync --all exit %d, want %d (partial)\n%s\n%s", r.code, ExitPartial, r.out, r.errOut)
	}
	all := r.out + r.errOut
	// The token came from its variable: a new one goes there.
	if !strings.Contains(all, "the server refused the credentials: set a valid token in FEDERATE_TOKEN_127_0_0_1_"+u.Port()) {
		t.Errorf("the failure does not say where to give the second host a new token:\n%s", all)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", main)          // "demo" completed
	assertRef(t, srv2.Path("mirror.git"), "refs/heads/main", before) // "other" could not be done
	assertNoToken(t, r.out, r.errOut)
	for _, line := range strings.Split(all, "\n") {
		if strings.Contains(line, "FAILED") && !strings.Contains(line, "other") && !strings.Contains(line, mirror2) {
			t.Errorf("a federation that does not need the revoked token failed: %s", line)
		}
	}
}
