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

// sync --all says on stderr that a set's forge has few API requests left
// while it lists the set's pages, and GIT_TRACE_FEDERATE logs each page's
// budget; neither holds the token.
func TestSyncSaysTheForgeBudgetIsLow(t *testing.T) {
	gittest.Isolate(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/orgs/big/repos" {
			http.NotFound(w, r) // the members' git URLs: they fail, which is not this test's matter
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
	defer api.Close()
	u, _ := url.Parse(api.URL)
	t.Setenv(keystore.EnvName(u.Host), "tok-budget-cli")
	t.Setenv("GIT_TRACE_FEDERATE", "1")
	for _, kv := range [][2]string{
		{"federationset.big.origin", api.URL + "/big"},
		{"federationset.big.mirror", api.URL + "/down"},
		{"federate." + api.URL + ".forge", "github"},
		{"federate." + api.URL + ".api", api.URL + "/api"},
	} {
		gittest.Git(t, "", "config", "--global", kv[0], kv[1])
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_ = runSync(ctx, SyncOptions{IO: IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, All: true, Jobs: 2,
		SyncEnv: SyncEnv{Exe: filepath.Join(gittest.BinDir(t), "git-federate"), LockWait: time.Minute}})
	stderr := errOut.String()
	if !strings.Contains(stderr, api.URL+"/api: 3 API requests left until ") {
		t.Errorf("stderr does not say the budget is low:\n%s", stderr)
	}
	if !strings.Contains(stderr, "ratelimit_remaining=2") {
		t.Errorf("GIT_TRACE_FEDERATE did not log the second page's budget:\n%s", stderr)
	}
	if strings.Contains(out.String()+stderr, "tok-budget-cli") {
		t.Error("sync output holds the token")
	}
}
