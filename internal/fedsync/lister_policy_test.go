package fedsync

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// A protocol git's policy forbids (protocol.http.allow = never) is not
// listed by this process either: the listing goes to git, which refuses
// it in its words, the federation fails, and no request reaches the
// server. Allowed (the policy "user", the user running sync), the same
// servers are listed in-process.
func TestForbiddenProtocolIsNotListedInProcess(t *testing.T) {
	const oid, token = "3333333333333333333333333333333333333333", "policy-token-0123456789"
	var asked atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		service := r.URL.Query().Get("service")
		w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
		fmt.Fprint(w, pktLine("# service="+service+"\n")+"0000"+
			pktLine(oid+" refs/heads/main\x00report-status agent=git/2\n")+"0000")
	}))
	defer srv.Close()
	dir := t.TempDir()
	u, _ := url.Parse(srv.URL)
	gitconfig := filepath.Join(dir, "gitconfig")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + gitconfig, "FEDERATE_KEYRING=off",
		"FEDERATE_TOKEN_127_0_0_1_" + u.Port() + "=" + token}
	origin, err1 := federation.ParseEndpoint(srv.URL + "/origin.git")
	mirror, err2 := federation.ParseEndpoint(srv.URL + "/mirror.git")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	f := &federation.Federation{Name: "policy", Origin: origin, Mirrors: []federation.Endpoint{mirror}}
	for _, policy := range []string{"never", "user"} {
		if err := os.WriteFile(gitconfig, []byte("[protocol \"http\"]\n\tallow = "+policy+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		asked.Store(0)
		e, err := New(Config{Git: gitexec.Runner{Env: env}, CacheRoot: filepath.Join(dir, policy), Jobs: 2})
		if err != nil {
			t.Fatal(err)
		}
		res := e.Sync(context.Background(), f, Options{})
		requests, gitListings := e.Counters()
		e.Close()
		switch policy {
		case "never":
			if res.Outcome() != "failed" || !strings.Contains(res.Error, "transport 'http' not allowed") {
				t.Errorf("never: sync = %s, error %q: want git's refusal", res.Outcome(), res.Error)
			}
			if requests != 0 || asked.Load() != 0 || gitListings == 0 {
				t.Errorf("never: %d requests counted, %d reached the server, %d git listings: want none sent, git asked",
					requests, asked.Load(), gitListings)
			}
		case "user":
			if res.Outcome() != "ok" || requests != 2 || gitListings != 0 || asked.Load() != 2 {
				t.Errorf("user: sync = %s %q, %d requests (%d seen), %d git listings: want both listed in-process",
					res.Outcome(), res.Error, requests, asked.Load(), gitListings)
			}
		}
	}
}
