package fedset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// TestExpandSetWithAFailingPage: a set whose listing fails on one page
// (here the fourth of six, the others answered) is reported by name and
// has no member at all, not the members of the pages that came: a part
// of an organisation is never taken for the whole, so nothing is synced
// as if the rest were gone. Another set on the same forge still expands,
// and the listing's pages are in the debug log with the forge's budget.
func TestExpandSetWithAFailingPage(t *testing.T) {
	gittest.Isolate(t)
	var mu sync.Mutex
	asked := map[string]int{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		n = max(n, 1)
		mu.Lock()
		asked[fmt.Sprintf("%s?page=%d", r.URL.Path, n)]++
		mu.Unlock()
		owner := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/orgs/"), "/")[0]
		pages := map[string]int{"big": 6, "small": 1}[owner]
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "4321")
		if owner == "big" && n == 4 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if pages > 1 {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?page=%d>; rel="next", <http://%s%s?page=%d>; rel="last"`,
				r.Host, r.URL.Path, min(n+1, pages), r.Host, r.URL.Path, pages))
		}
		count := 2
		if n > pages {
			count = 0 // nothing past the last page
		}
		var items []string
		for i := range count {
			name := fmt.Sprintf("%s%02d", owner, (n-1)*2+i)
			items = append(items, fmt.Sprintf(`{"name":%q,"full_name":"%s/%s"}`, name, owner, name))
		}
		w.Write([]byte("[" + strings.Join(items, ",") + "]"))
	}))
	defer api.Close()
	cfg := parse(t,
		"federate."+api.URL+".forge", "github",
		"federate."+api.URL+".api", api.URL+"/api",
		"federationset.big.origin", api.URL+"/big",
		"federationset.big.mirror", "https://gitee.com/big-mirror",
		"federationset.small.origin", api.URL+"/small",
		"federationset.small.mirror", "https://gitee.com/small-mirror")
	var log bytes.Buffer
	deps := Deps{Tokens: keystore.Fixed{HostURL: api.URL, Credential: keystore.Credential{Token: "tok-set-secret"}},
		PerPage: 2, Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	feds, errs := Expand(context.Background(), cfg, deps)
	var names []string
	for _, f := range feds {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "small/small00,small/small01" {
		t.Errorf("members %v, want small's two and none of big's", names)
	}
	var se *forge.StatusError
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `federationset "big"`) || !errors.As(errs[0], &se) || se.Status != http.StatusBadGateway {
		t.Errorf("errors %v, want big's page answering 502", errs)
	}
	// Pages are fetched a few at a time and the failure cancels the rest:
	// how many others went out depends on timing, the failing one not.
	mu.Lock()
	failing, all := asked["/api/orgs/big/repos?page=4"], fmt.Sprint(asked)
	mu.Unlock()
	if failing != 1 {
		t.Errorf("big's failing page 4 asked %d times, want once (asked: %s)", failing, all)
	}
	if !strings.Contains(log.String(), "ratelimit_remaining=4321") || strings.Contains(log.String(), "tok-set-secret") {
		t.Errorf("debug log:\n%s", log.String())
	}
}
