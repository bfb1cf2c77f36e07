package fedcmd

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// lowBudgetForge is a GitHub-like API whose organisation "big" lists one
// repository a page over two pages, with fewer requests left after each
// (3, then 2), configured as the federationset "big" with the token
// named token: a set whose forge is about to run out.
func lowBudgetForge(t *testing.T, token string) string {
	t.Helper()
	gittest.Isolate(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/orgs/big/repos":
		case "/api/repos/big/r1/hooks", "/api/repos/big/r2/hooks":
			fmt.Fprint(w, `[]`)
			return
		default:
			// the members' git URLs and the organisation's hooks: a
			// user, not an organisation; neither is these tests' matter
			http.NotFound(w, r)
			return
		}
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		n = max(n, 1)
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(4-n))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		if n == 1 {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?page=2>; rel="next", <http://%s%s?page=2>; rel="last"`, r.Host, r.URL.Path, r.Host, r.URL.Path))
		}
		fmt.Fprintf(w, `[{"name":"r%d","full_name":"big/r%d"}]`, n, n)
	}))
	t.Cleanup(api.Close)
	u, _ := url.Parse(api.URL)
	t.Setenv(keystore.EnvName(u.Host), token)
	t.Setenv("GIT_TRACE_FEDERATE", "1")
	configGlobal(t, [][2]string{
		{"federationset.big.origin", api.URL + "/big"},
		{"federationset.big.mirror", api.URL + "/down"},
		{"federate." + api.URL + ".forge", "github"},
		{"federate." + api.URL + ".api", api.URL + "/api"},
	})
	return api.URL
}

// sync --all says on stderr that a set's forge has few API requests left
// while it lists the set's pages, and GIT_TRACE_FEDERATE logs each page's
// budget; neither holds the token.
func TestSyncSaysTheForgeBudgetIsLow(t *testing.T) {
	apiURL := lowBudgetForge(t, "tok-budget-cli")
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_ = runSync(ctx, SyncOptions{IO: IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, All: true, Jobs: 2,
		SyncEnv: SyncEnv{Exe: filepath.Join(gittest.BinDir(t), "git-federate"), LockWait: time.Minute}})
	stderr := errOut.String()
	if !strings.Contains(stderr, apiURL+"/api: 3 API requests left until ") {
		t.Errorf("stderr does not say the budget is low:\n%s", stderr)
	}
	if !strings.Contains(stderr, "ratelimit_remaining=2") {
		t.Errorf("GIT_TRACE_FEDERATE did not log the second page's budget:\n%s", stderr)
	}
	if strings.Contains(out.String()+stderr, "tok-budget-cli") {
		t.Error("sync output holds the token")
	}
}

// `git federate hook list` of a set whose owner takes no organisation
// hook lists the set's repositories, and says on stderr, as sync does,
// that the forge has few API requests left; GIT_TRACE_FEDERATE logs
// each page's budget; neither holds the token.
func TestHookSetListingSaysTheForgeBudgetIsLow(t *testing.T) {
	apiURL := lowBudgetForge(t, "tok-budget-hook")
	out, err := hook(t, HookOptions{Action: hookList, Names: []string{"big"}})
	if err != nil {
		t.Fatalf("hook list: %v\n%s", err, out)
	}
	if !strings.Contains(out, "big/r2") {
		t.Errorf("hook list did not list the set's second page:\n%s", out)
	}
	if !strings.Contains(out, apiURL+"/api: 3 API requests left until ") {
		t.Errorf("hook list does not say the budget is low:\n%s", out)
	}
	if !strings.Contains(out, "ratelimit_remaining=2") {
		t.Errorf("GIT_TRACE_FEDERATE did not log the second page's budget:\n%s", out)
	}
	if strings.Contains(out, "tok-budget-hook") {
		t.Error("hook output holds the token")
	}
}
