package fedcmd

import (
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// A sync run in a repository whose own config sets http.proxy reaches
// every server through that proxy: the listings, the fetch into the
// cache and the push to the mirror, as git run in that repository would.
// The fetch and the push run in the cache, whose git does not read that
// repository's config; they went around the proxy.
func TestSyncUsesTheRepositorysHTTPSettingsEverywhere(t *testing.T) {
	fx := newSyncFixture(t, 1)
	p := gittest.NewProxy(t)
	repo := filepath.Join(t.TempDir(), "federations.git")
	gittest.Git(t, "", "init", "-q", "--bare", repo)
	gittest.Git(t, repo, "config", "http.proxy", p.URL)
	fx.env.Dir = repo
	tip := fx.commitOrigin(t, "main", "through-the-proxy.txt")
	before := len(fx.srv.Requests())
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitOK {
		t.Fatalf("sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if got := gittest.RefOf(t, fx.mirrorPath(0), "refs/heads/main"); got != tip {
		t.Fatalf("mirror main = %s, want %s", got, tip)
	}
	u, err := url.Parse(fx.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	forwarded := p.Forwarded(u.Host)
	served := requestsSince(fx.srv, before)
	for _, want := range []string{"POST /origin.git/git-upload-pack", "POST /mirror1.git/git-receive-pack"} {
		if !slices.Contains(forwarded, want) {
			t.Errorf("the proxy did not forward %q; it forwarded %v", want, forwarded)
		}
	}
	if strings.Contains(r.out+r.errOut, syncToken) {
		t.Error("sync's output holds the token")
	}
	if len(forwarded) != len(served) {
		var paths []string
		for _, s := range served {
			paths = append(paths, s.Method+" "+s.Path)
		}
		t.Errorf("the server answered %d requests, %d through the proxy:\nserved %s\nforwarded %s",
			len(served), len(forwarded), strings.Join(paths, ", "), strings.Join(forwarded, ", "))
	}
	// Plain git in that repository goes through the proxy too: the
	// comparison is with git, not only with the listings.
	p.Reset()
	_, _ = gittest.GitCombined(repo, nil, "ls-remote", fx.origin)
	if got := p.Forwarded(u.Host); !slices.Contains(got, "GET /origin.git/info/refs?service=git-upload-pack") {
		t.Errorf("plain git in the repository did not use its proxy (%v): the comparison proves nothing", got)
	}
}
