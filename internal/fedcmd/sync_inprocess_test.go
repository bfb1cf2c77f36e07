package fedcmd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// gitCommands reads a GIT_TRACE2_EVENT file: the git subcommand of every
// git process started ("config", "ls-remote" …).
func gitCommands(t *testing.T, path string) []string {
	t.Helper()
	var cmds []string
	for _, args := range gittest.GitStarts(t, path) {
		cmds = append(cmds, gittest.Subcommand(args))
	}
	return cmds
}

// cacheSnapshot is every file under the sync caches with its size and
// modification time.
func cacheSnapshot(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join(os.Getenv("XDG_DATA_HOME"), "git-federate")
	snap := map[string]string{}
	_ = filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
		if err == nil {
			snap[path] = fmt.Sprint(fi.Size(), fi.ModTime().UnixNano())
		}
		return nil
	})
	return snap
}

// addFederations configures n more federations like "demo" (origin and
// mirrors copied from demo's), named demo1…demoN.
func (fx *syncFixture) addFederations(t *testing.T, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		names := []string{"origin.git"}
		for j := range fx.mirrors {
			names = append(names, fmt.Sprintf("mirror%d.git", j+1))
		}
		var urls []string
		for _, name := range names {
			copyName := fmt.Sprintf("f%d-%s", i, name)
			gittest.Git(t, "", "clone", "-q", "--mirror", fx.srv.Path(name), fx.srv.Path(copyName))
			urls = append(urls, fx.srv.RepoURL(copyName))
		}
		key := fmt.Sprintf("federation.demo%d.", i)
		gittest.Git(t, "", "config", "--global", key+"origin", urls[0])
		for _, u := range urls[1:] {
			gittest.Git(t, "", "config", "--global", "--add", key+"mirror", u)
		}
	}
}

// A sync of unchanged http federations is decided from one listing
// request per server, the token sent up front: no git process works on
// any federation, nothing in the caches is written, and the JSON totals
// say what was checked; no token shows in the output.
func TestSyncUnchangedStartsNoGit(t *testing.T) {
	fx := newSyncFixture(t, 3)
	fx.addFederations(t, 3)
	if r := fx.sync(t, SyncOptions{All: true}); r.code != ExitOK {
		t.Fatalf("first sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	trace := filepath.Join(t.TempDir(), "trace2.json")
	t.Setenv("GIT_TRACE2_EVENT", trace)
	before, n := cacheSnapshot(t), len(fx.srv.Requests())
	totalsFile := filepath.Join(t.TempDir(), "totals.json")
	t.Setenv(fedsync.TotalsEnv, totalsFile) // as serve asks, for its metrics

	r := fx.sync(t, SyncOptions{All: true, JSON: true})
	if r.code != ExitOK {
		t.Fatalf("sync of unchanged federations: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	// git config is read once for the whole run (federations, http
	// settings) and the repository sync runs in is found once: neither
	// grows with the federations, and nothing else runs.
	cmds := gitCommands(t, trace)
	configs := 0
	for _, c := range cmds {
		if c == "config" {
			configs++
		} else if c != "rev-parse" {
			t.Errorf("git %s ran for unchanged federations (all: %v)", c, cmds)
		}
	}
	if configs != 1 || len(cmds) > 2 {
		t.Errorf("%d git processes for 4 unchanged federations, %d of them git config: want the run's own few, one git config: %v",
			len(cmds), configs, cmds)
	}
	reqs := requestsSince(fx.srv, n)
	if len(reqs) != 16 {
		t.Errorf("%d requests for 4 federations of 4 servers, want 16 (one listing each)", len(reqs))
	}
	for _, q := range reqs {
		if q.Method != http.MethodGet || !strings.HasSuffix(q.Path, "/info/refs") || q.Authorization == "" {
			t.Errorf("request %s %s?%s (authorization %t), want GET info/refs with the token up front",
				q.Method, q.Path, q.Query, q.Authorization != "")
		}
	}
	after := cacheSnapshot(t)
	for path, was := range before {
		if now, ok := after[path]; !ok || now != was {
			t.Errorf("an unchanged sync changed %s (size, mtime: %s, was %s)", path, now, was)
		}
	}
	for path := range after {
		if _, ok := before[path]; !ok {
			t.Errorf("an unchanged sync wrote %s", path)
		}
	}
	var rep struct {
		Federations []struct {
			Name    string `json:"name"`
			Mirrors []struct {
				Refs []struct{ State, Action string }
			}
		}
		Totals struct {
			Checked, Changed, Failed int
			Requests                 int64
			GitListings              int64 `json:"git_listings"`
		}
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, r.out)
	}
	if got := rep.Totals; got.Checked != 4 || got.Changed != 0 || got.Failed != 0 || got.Requests != 16 || got.GitListings != 0 {
		t.Errorf("totals = %+v, want 4 checked, 0 changed, 0 failed, 16 requests, no git listing", got)
	}
	if data, err := os.ReadFile(totalsFile); err != nil || !strings.Contains(string(data), `"checked":4`) {
		t.Errorf("totals for serve's metrics: %q, %v", data, err)
	}
	if len(rep.Federations) != 4 || len(rep.Federations[0].Mirrors) != 3 || len(rep.Federations[0].Mirrors[0].Refs) == 0 {
		t.Fatalf("report lacks the federations' refs:\n%s", r.out)
	}
	for _, ref := range rep.Federations[0].Mirrors[0].Refs {
		if ref.State != "in-sync" || ref.Action != "none" {
			t.Errorf("ref %+v of an unchanged federation, want in-sync, none", ref)
		}
	}
	assertNoToken(t, r.out, r.errOut)
}

// A changed federation is still synced (the listings only decide that
// something moved); the unchanged one beside it runs no git.
func TestSyncChangedAmongUnchanged(t *testing.T) {
	fx := newSyncFixture(t, 2)
	fx.addFederations(t, 1)
	if r := fx.sync(t, SyncOptions{All: true}); r.code != ExitOK {
		t.Fatalf("first sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	c := fx.commitOrigin(t, "main", "changed.txt")
	r := fx.sync(t, SyncOptions{All: true, JSON: true})
	if r.code != ExitOK {
		t.Fatalf("sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", c)
	assertRef(t, fx.mirrorPath(1), "refs/heads/main", c)
	var rep struct {
		Totals struct{ Checked, Changed, Failed int }
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Checked != 2 || rep.Totals.Changed != 1 || rep.Totals.Failed != 0 {
		t.Errorf("totals = %+v, want 2 checked, 1 changed, 0 failed", rep.Totals)
	}
}

// A federation whose origin cannot be listed is reported as failed,
// never counted in sync, and synced by the next run.
func TestSyncFailedListingReported(t *testing.T) {
	fx := newSyncFixture(t, 1)
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("first sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	c := fx.commitOrigin(t, "main", "later.txt")
	fx.srv.AddFault(gittest.Fault{Prefix: "/origin.git/info/refs", Status: http.StatusInternalServerError, Body: "broken"})
	r := fx.sync(t, SyncOptions{JSON: true})
	if r.code == ExitOK {
		t.Fatalf("sync with origin failing: exit 0\n%s%s", r.out, r.errOut)
	}
	var rep struct {
		Federations []struct{ Error string }
		Totals      struct{ Checked, Changed, Failed int }
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, r.out)
	}
	if rep.Federations[0].Error == "" || rep.Totals.Failed != 1 || rep.Totals.Checked != 1 {
		t.Errorf("report = %+v, want the federation failed with its error", rep)
	}
	assertNoToken(t, r.out, r.errOut)
	fx.srv.ClearFaults()
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("next sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", c)
}

// A server that answers 503 with Retry-After is asked again once the
// wait it named is over, not sooner, and the sync succeeds.
func TestSyncListingWaitsOutRetryAfter(t *testing.T) {
	fx := newSyncFixture(t, 1)
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("first sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/info/refs", Status: http.StatusServiceUnavailable, Count: 1,
		Header: http.Header{"Retry-After": {"2"}}})
	n := len(fx.srv.Requests())
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	var tries []gittest.Request
	for _, q := range requestsSince(fx.srv, n) {
		if strings.HasPrefix(q.Path, "/mirror1.git/info/refs") {
			tries = append(tries, q)
		}
	}
	if len(tries) != 2 {
		t.Fatalf("mirror listed %d times, want the refused listing and one more", len(tries))
	}
	// A lower bound on the client's own wait: it holds however slow the
	// machine is.
	if gap := tries[1].Start.Sub(tries[0].End); gap < 2*time.Second {
		t.Errorf("asked again %v after a 503 with Retry-After: 2", gap)
	}
}

// A setting only git's transport honours (a credential username), in
// the user's config, sends the servers it names to git, as before: read
// in sync's one `git config` run with the federations, it still decides.
// A URL rewrite, in the user's config or the repository's that sync runs
// in, does not: git's children would reach the same URL (every path sets
// the rule aside), so the listings stay in this process, without a git
// process each.
func TestSyncGitOnlySettingListsWithGit(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		local, byGit     bool
	}{
		{"credential username", "credential.%s.username", "someone", false, true},
		{"URL rewrite in the repository", "url.%s/.insteadOf", "%s/", true, false},
		{"URL rewrite to ssh", "url.ssh://git@127.0.0.1:1/.insteadOf", "%s/", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newSyncFixture(t, 1)
			key, value := strings.ReplaceAll(tc.key, "%s", fx.srv.URL), strings.ReplaceAll(tc.value, "%s", fx.srv.URL)
			if tc.local {
				fx.env.Dir = fx.work
				gittest.Git(t, fx.work, "config", "--local", key, value)
			} else {
				gittest.Git(t, "", "config", "--global", key, value)
			}
			requests, gitListings := fx.listingTotals(t)
			if tc.byGit && (requests != 0 || gitListings == 0) {
				t.Errorf("requests %d, git listings %d: want every listing by git", requests, gitListings)
			}
			if !tc.byGit && (requests == 0 || gitListings != 0) {
				t.Errorf("requests %d, git listings %d: want every listing in this process", requests, gitListings)
			}
		})
	}
}

// Under a GIT_DIR (a hook's environment) the federations are read from
// the repository it names, and the engine's children, which drop it,
// read git's http settings in a run of their own, as before: one run
// cannot stand for both.
func TestSyncUnderGitDirReadsHTTPSettingsApart(t *testing.T) {
	fx := newSyncFixture(t, 1)
	trace := filepath.Join(t.TempDir(), "trace2.json")
	t.Setenv("GIT_DIR", filepath.Join(fx.work, ".git"))
	t.Setenv("GIT_TRACE2_EVENT", trace)
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	configs := 0
	for _, c := range gitCommands(t, trace) {
		if c == "config" {
			configs++
		}
	}
	if configs != 2 {
		t.Errorf("%d git config runs under GIT_DIR, want 2 (the federations, the engine's http settings)", configs)
	}
}
