package helper

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// The two ways a fetch goes: "http" relays git's native protocol-v2 fetch
// through git remote-http (stateless-connect); "file" falls back to list
// and fetch batches answered by a child git fetch.
var transports = []string{"http", "file"}

// delay slows the origin's first answer in the fetchFrom=nearest test,
// once the mirror meant to be nearer has answered (see servedListing).
const delay = 2 * time.Second

// repo is one server's copy of the federated repository.
type repo struct {
	url  string
	path string          // the bare repository on disk
	srv  *gittest.Server // nil for file://
}

// uploads counts the pack requests (POST git-upload-pack) the server saw.
func (r repo) uploads() int {
	n := 0
	for _, q := range r.srv.Requests() {
		if q.Method == "POST" && strings.HasSuffix(q.Path, "/git-upload-pack") {
			n++
		}
	}
	return n
}

// fixture is a federation "app": an origin and two mirrors, each on its
// own server with its own token (FEDERATE_TOKEN_127_0_0_1_<port>), and a
// work repository whose branches were pushed to all three.
type fixture struct {
	t       *testing.T
	origin  repo
	mirrors []repo
	work    string
}

// newFixture builds the federation over transport with the given
// federation.app.* settings ("key=value").
func newFixture(t *testing.T, transport string, settings ...string) *fixture {
	t.Helper()
	gittest.Isolate(t)
	f := &fixture{t: t, work: gittest.NewWorkRepo(t)}
	f.origin = newRepo(t, transport, "origin")
	f.mirrors = []repo{newRepo(t, transport, "mirror1"), newRepo(t, transport, "mirror2")}
	f.define(settings...)
	return f
}

// define tags v1, seeds every server and configures federation "app"
// with the given settings ("key=value").
func (f *fixture) define(settings ...string) {
	f.t.Helper()
	gittest.Git(f.t, f.work, "tag", "-a", "v1", "-m", "release 1")
	f.seed(f.all()...)
	gittest.Git(f.t, "", "config", "--global", "federation.app.origin", f.origin.url)
	for _, m := range f.mirrors {
		gittest.Git(f.t, "", "config", "--global", "--add", "federation.app.mirror", m.url)
	}
	for _, kv := range settings {
		k, v, _ := strings.Cut(kv, "=")
		gittest.Git(f.t, "", "config", "--global", "federation.app."+k, v)
	}
}

func newRepo(t *testing.T, transport, name string) repo {
	t.Helper()
	if transport == "file" {
		p := filepath.Join(t.TempDir(), name+".git")
		gittest.Git(t, "", "init", "-q", "--bare", "-b", "main", p)
		return repo{url: "file://" + p, path: p}
	}
	token := name + "-token"
	srv := gittest.NewServer(t, gittest.Auth{Token: token})
	url := srv.InitBare(t, "app.git")
	t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), token)
	return repo{url: url, path: srv.Path("app.git"), srv: srv}
}

func (f *fixture) all() []repo { return append([]repo{f.origin}, f.mirrors...) }

// seed pushes every branch and tag of the work repository to repos, on
// disk (the servers' own auth is not what these tests are about).
func (f *fixture) seed(repos ...repo) {
	f.t.Helper()
	for _, r := range repos {
		gittest.Seed(f.t, f.work, r.path)
	}
}

// clone runs `git clone federate::app` with args and returns the clone's
// path, git's output and error.
func (f *fixture) clone(args ...string) (string, string, error) {
	f.t.Helper()
	dst := filepath.Join(f.t.TempDir(), "clone")
	out, err := gittest.GitCombined("", nil, append(append([]string{"clone"}, args...), "federate::app", dst)...)
	return dst, out, err
}

func mustClone(t *testing.T, f *fixture, args ...string) string {
	t.Helper()
	dst, out, err := f.clone(args...)
	if err != nil {
		t.Fatalf("clone %v: %v\n%s", args, err, out)
	}
	return dst
}

func TestCloneChecksOutOriginHEAD(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFixture(t, tr)
			gittest.Git(t, f.work, "checkout", "-q", "-b", "trunk")
			trunk := gittest.Commit(t, f.work, "trunk.txt", "trunk\n", "on trunk")
			f.seed(f.all()...)
			// The origin's default branch is trunk, the mirrors' main.
			gittest.Git(t, f.origin.path, "symbolic-ref", "HEAD", "refs/heads/trunk")

			dst := mustClone(t, f)
			if got := gittest.Git(t, dst, "symbolic-ref", "HEAD"); got != "refs/heads/trunk" {
				t.Errorf("HEAD = %s, want refs/heads/trunk", got)
			}
			if got := gittest.Git(t, dst, "symbolic-ref", "refs/remotes/origin/HEAD"); got != "refs/remotes/origin/trunk" {
				t.Errorf("origin/HEAD = %s, want refs/remotes/origin/trunk", got)
			}
			if got := gittest.Git(t, dst, "rev-parse", "HEAD"); got != trunk {
				t.Errorf("HEAD at %s, want %s", got, trunk)
			}
			if b, err := os.ReadFile(filepath.Join(dst, "trunk.txt")); err != nil || string(b) != "trunk\n" {
				t.Errorf("work tree not checked out: %q %v", b, err)
			}
			if got := gittest.RefOf(t, dst, "refs/tags/v1"); got != gittest.RefOf(t, f.work, "refs/tags/v1") {
				t.Errorf("tag v1 = %q", got)
			}
			if got := gittest.Git(t, dst, "config", "remote.origin.url"); got != "federate::app" {
				t.Errorf("remote.origin.url = %s", got)
			}
			gittest.Git(t, dst, "fsck", "--connectivity-only")
			cfg, _ := os.ReadFile(filepath.Join(dst, ".git", "config"))
			if strings.Contains(string(cfg), "token") {
				t.Errorf(".git/config holds a token:\n%s", cfg)
			}
			if tr == "http" {
				if f.origin.uploads() == 0 {
					t.Error("origin served no pack")
				}
				for _, m := range f.mirrors {
					if len(m.srv.Requests()) != 0 {
						t.Errorf("mirror %s was asked: %v", m.url, m.srv.Requests())
					}
				}
			}
		})
	}
}

func TestFetchBranchesTagsAndHEAD(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFixture(t, tr)
			dst := mustClone(t, f)

			gittest.Git(t, f.work, "checkout", "-q", "-b", "b1")
			gittest.Commit(t, f.work, "rc.txt", "rc\n", "rc")
			gittest.Git(t, f.work, "tag", "-a", "v2-rc", "-m", "candidate") // annotated, inside b1
			b1 := gittest.Commit(t, f.work, "b1.txt", "1\n", "b1")
			gittest.Git(t, f.work, "tag", "-a", "v2", "-m", "release 2") // annotated, on b1
			gittest.Git(t, f.work, "checkout", "-q", "-b", "b2", "main")
			b2 := gittest.Commit(t, f.work, "b2.txt", "2\n", "b2")
			gittest.Git(t, f.work, "tag", "light2") // lightweight, on b2
			// Tags on a commit no branch has: not followed, fetched on request.
			gittest.Git(t, f.work, "checkout", "-q", "--detach", "main")
			lone := gittest.Commit(t, f.work, "lone.txt", "x\n", "lone")
			gittest.Git(t, f.work, "tag", "-a", "lone-annotated", "-m", "lone")
			gittest.Git(t, f.work, "tag", "lone-light")
			gittest.Git(t, f.work, "checkout", "-q", "main")
			gittest.Commit(t, f.work, "main.txt", "m\n", "main moves")
			f.seed(f.origin)

			gittest.Git(t, dst, "fetch")
			want := map[string]string{
				"refs/remotes/origin/b1":   b1,
				"refs/remotes/origin/b2":   b2,
				"refs/remotes/origin/main": gittest.RefOf(t, f.work, "main"),
				"refs/tags/v2":             gittest.RefOf(t, f.work, "refs/tags/v2"),
				"refs/tags/v2-rc":          gittest.RefOf(t, f.work, "refs/tags/v2-rc"),
				"refs/tags/light2":         b2,
				"refs/tags/lone-annotated": "",
				"refs/tags/lone-light":     "",
			}
			checkRefs(t, dst, want)

			gittest.Git(t, dst, "fetch", "origin", "HEAD")
			if got, want := gittest.Git(t, dst, "rev-parse", "FETCH_HEAD"), gittest.RefOf(t, f.work, "main"); got != want {
				t.Errorf("FETCH_HEAD = %s, want %s", got, want)
			}
			gittest.Git(t, dst, "fetch", "origin", "tag", "lone-annotated", "tag", "lone-light")
			checkRefs(t, dst, map[string]string{
				"refs/tags/lone-annotated":          gittest.RefOf(t, f.work, "refs/tags/lone-annotated"),
				"refs/tags/lone-light":              lone,
				"refs/tags/lone-annotated^{commit}": lone,
			})
			gittest.Git(t, dst, "fsck", "--connectivity-only")

			// git pull fast-forwards the checked-out branch.
			gittest.Git(t, dst, "config", "pull.ff", "only")
			gittest.Git(t, dst, "pull", "-q")
			if got, want := gittest.Git(t, dst, "rev-parse", "HEAD"), gittest.RefOf(t, f.work, "main"); got != want {
				t.Errorf("after pull HEAD = %s, want %s", got, want)
			}
		})
	}
}

// checkRefs compares refs of the repository at dir; "" means absent.
func checkRefs(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	for ref, oid := range want {
		if got := gittest.RefOf(t, dir, ref); got != oid {
			t.Errorf("%s = %q, want %q", ref, got, oid)
		}
	}
}

func TestShallowClone(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Setenv("GIT_COMMITTER_DATE", "2020-01-01T12:00:00Z") // the fixture's first commit
			f := newFixture(t, tr)
			t.Setenv("GIT_COMMITTER_DATE", "2021-01-01T12:00:00Z")
			gittest.Commit(t, f.work, "2", "2\n", "2021")
			t.Setenv("GIT_COMMITTER_DATE", "2022-01-01T12:00:00Z")
			gittest.Commit(t, f.work, "3", "3\n", "2022")
			f.seed(f.origin)
			count := func(dst string) int {
				n, err := strconv.Atoi(gittest.Git(t, dst, "rev-list", "--count", "HEAD"))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}

			dst := mustClone(t, f, "--depth", "1")
			if _, err := os.Stat(filepath.Join(dst, ".git", "shallow")); err != nil {
				t.Errorf("no .git/shallow: %v", err)
			}
			if n := count(dst); n != 1 {
				t.Errorf("--depth 1 clone has %d commits", n)
			}
			gittest.Git(t, dst, "fetch", "--deepen=1")
			if n := count(dst); n != 2 {
				t.Errorf("after --deepen=1: %d commits, want 2", n)
			}
			gittest.Git(t, dst, "fetch", "--unshallow")
			if n := count(dst); n != 3 {
				t.Errorf("after --unshallow: %d commits, want 3", n)
			}
			if _, err := os.Stat(filepath.Join(dst, ".git", "shallow")); !os.IsNotExist(err) {
				t.Errorf(".git/shallow after --unshallow: %v", err)
			}

			since := mustClone(t, f, "--shallow-since=2020-06-01")
			if n := count(since); n != 2 {
				t.Errorf("--shallow-since clone has %d commits, want 2", n)
			}
			gittest.Git(t, since, "fsck", "--connectivity-only")
		})
	}
}

func TestFailoverToMirror(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFixture(t, tr)
			f.takeDown(f.origin)
			f.takeDown(f.mirrors[0])

			dst, stderr := cloneStderr(t, f)
			why := map[string]string{
				"http": "Failed to connect to 127.0.0.1 port ",                           // curl's words, without "unable to access"
				"file": "'" + f.origin.path + "' does not appear to be a git repository", // git's
			}[tr]
			if n := len(failoverWarnings(stderr, f.origin.url, f.mirrors[1].url)); n != 1 || !strings.Contains(stderr, " is unreachable ("+why) {
				t.Errorf("want the warning once, with %q, got %d in:\n%s", why, n, stderr)
			}
			if strings.Contains(stderr, "-token") {
				t.Errorf("the warning holds a token:\n%s", stderr)
			}
			for _, noise := range []string{"fatal", "unable to access", "error"} {
				if strings.Contains(stderr, noise) {
					t.Errorf("stderr has %q:\n%s", noise, stderr)
				}
			}
			if got, want := gittest.Git(t, dst, "rev-parse", "HEAD"), gittest.RefOf(t, f.work, "main"); got != want {
				t.Errorf("HEAD = %s, want %s", got, want)
			}
			if tr == "http" && f.mirrors[1].uploads() == 0 {
				t.Error("mirror2 served no pack")
			}
		})
	}
}

// takeDown makes r unreachable: its server stops, or its directory goes.
func (f *fixture) takeDown(r repo) {
	if r.srv != nil {
		r.srv.Close()
		return
	}
	if err := os.Rename(r.path, r.path+".gone"); err != nil {
		f.t.Fatal(err)
	}
}

// cloneStderr clones with progress off and returns the clone and what
// git printed on stderr.
func cloneStderr(t *testing.T, f *fixture, args ...string) (string, string) {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "clone")
	out, err := gittest.GitCombined("", nil, append(append([]string{"clone", "-q"}, args...), "federate::app", dst)...)
	if err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	return dst, out
}

// failoverWarnings are the lines of out that say a mirror serves for the
// origin, each with why in parentheses: git's (curl's, ssh's) own short
// words, or ours for a server that did not answer in time.
func failoverWarnings(out, origin, mirror string) []string {
	re := regexp.MustCompile(`(?m)^warning: federate: origin ` + regexp.QuoteMeta(origin) +
		` is unreachable \(([^\n]+)\); fetching from mirror ` + regexp.QuoteMeta(mirror) + `$`)
	var why []string
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		why = append(why, m[1])
	}
	return why
}

func TestOriginDownWithoutFailover(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFixture(t, tr, "failover=false")
			f.takeDown(f.origin)
			dst := filepath.Join(t.TempDir(), "clone")
			out, err := gittest.GitCombined("", nil, "clone", "federate::app", dst)
			if err == nil {
				t.Fatalf("clone succeeded without origin:\n%s", out)
			}
			for _, want := range []string{f.origin.url, "failover is off"} {
				if !strings.Contains(out, want) {
					t.Errorf("error does not mention %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "fetching from mirror") {
				t.Errorf("failed over although failover is off:\n%s", out)
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("clone left %s behind", dst)
			}
		})
	}
}

// A server that refuses our token is not down: the clone fails with the
// reason and the hint, and no mirror serves instead, whichever way the
// fetch picks its server.
func TestNoFailoverOnAuthFailure(t *testing.T) {
	for _, settings := range [][]string{nil, {"fetchFrom=nearest"}} {
		t.Run(strings.Join(append([]string{"default"}, settings...), " "), func(t *testing.T) {
			f := newFixture(t, "http", settings...)
			t.Setenv(keystore.EnvName(strings.TrimPrefix(f.origin.srv.URL, "http://")), "wrong")
			dst, out, err := f.clone("-q")
			if err == nil {
				t.Fatalf("clone succeeded with a refused origin token:\n%s", out)
			}
			if v := keystore.EnvName(strings.TrimPrefix(f.origin.srv.URL, "http://")); !strings.Contains(out, "the server refused the credentials: set a valid token in "+v) {
				t.Errorf("no hint to give another token:\n%s", out)
			}
			if strings.Contains(out, "fetching from mirror") {
				t.Errorf("failed over on a refusal:\n%s", out)
			}
			for _, m := range f.mirrors {
				if n := m.uploads(); n > 1 { // nearest lists every server once
					t.Errorf("mirror %s served %d upload-pack requests", m.url, n)
				}
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("clone left %s behind", dst)
			}
		})
	}
}

// A server error (5xx) from the origin is unreachability: a mirror serves.
func TestFailoverOnServerError(t *testing.T) {
	f := newFixture(t, "http")
	f.origin.srv.AddFault(gittest.Fault{Prefix: "/app.git", Status: 502, Body: "bad gateway"})
	_, stderr := cloneStderr(t, f)
	if !strings.Contains(stderr, "fetching from mirror "+f.mirrors[0].url) {
		t.Errorf("no failover warning:\n%s", stderr)
	}
}

// An origin that answers, but not with the repository (a 502, a redirect
// loop), fails a fetch without failover in the words git gives for it,
// and the error does not claim the server was never reached.
func TestOriginAnsweringBadlyWithoutFailover(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault gittest.Fault
		git   string // what git's transport says of it
	}{
		{"502", gittest.Fault{Prefix: "/app.git", Status: 502, Body: "bad gateway"}, "502"},
		{"redirect loop", gittest.Fault{Prefix: "/app.git", Status: 302,
			Header: http.Header{"Location": {"/app.git/info/refs?service=git-upload-pack"}}}, "redirects followed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "http", "failover=false")
			f.origin.srv.AddFault(tc.fault)
			out := cloneFailsAsGit(t, f, tc.git)
			for _, want := range []string{"no server could serve the fetch", "failover is off", f.origin.url, tc.git} {
				if !strings.Contains(out, want) {
					t.Errorf("error does not say %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "could be reached") || strings.Contains(out, "unreachable") {
				t.Errorf("a server that answered is called unreachable:\n%s", out)
			}
		})
	}
}

// cloneFailsAsGit checks the yardstick first, plain git's `ls-remote`
// of the origin failing with gitSays in its words; then `git clone
// federate::app` must fail too, without the origin's token in its
// output, which it returns.
func cloneFailsAsGit(t *testing.T, f *fixture, gitSays string) string {
	t.Helper()
	if out, err := gittest.GitCombined("", nil, "ls-remote", f.origin.url); err == nil || !strings.Contains(out, gitSays) {
		t.Fatalf("plain git ls-remote: %v\n%s", err, out)
	}
	out, err := gittest.GitCombined("", nil, "clone", "federate::app", filepath.Join(t.TempDir(), "clone"))
	if err == nil {
		t.Fatalf("clone succeeded where the origin failed (%q):\n%s", gitSays, out)
	}
	if strings.Contains(out, "origin-token") {
		t.Errorf("the output holds the origin's token:\n%s", out)
	}
	return out
}

// An origin that says the repository is not there (404) answered: no
// mirror serves in its place, even with failover on, whichever way the
// fetch picks its server; the error is git's, with the hint.
func TestNoFailoverOnOriginNotFound(t *testing.T) {
	for _, settings := range [][]string{nil, {"fetchFrom=nearest"}} {
		t.Run(strings.Join(append([]string{"default"}, settings...), " "), func(t *testing.T) {
			f := newFixture(t, "http", settings...)
			f.origin.srv.AddFault(gittest.Fault{Prefix: "/app.git", Status: 404, Body: "no such repository"})
			notFound := "fatal: repository '" + f.origin.url + "/' not found"
			out := cloneFailsAsGit(t, f, notFound)
			for _, want := range []string{notFound, "was it deleted or renamed?"} {
				if !strings.Contains(out, want) {
					t.Errorf("error does not say %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "fetching from mirror") {
				t.Errorf("failed over on a 404:\n%s", out)
			}
		})
	}
}

// ls-remote against a federation whose origin refuses the token fails
// too, instead of listing a mirror.
func TestLsRemoteNoFailoverOnAuthFailure(t *testing.T) {
	f := newFixture(t, "http")
	t.Setenv(keystore.EnvName(strings.TrimPrefix(f.origin.srv.URL, "http://")), "wrong")
	out, err := gittest.GitCombined(f.work, nil, "ls-remote", "federate::app")
	if err == nil || strings.Contains(out, "fetching from mirror") {
		t.Fatalf("ls-remote = %v, want a refusal:\n%s", err, out)
	}
	if !strings.Contains(out, "git federate login") {
		t.Errorf("no login hint:\n%s", out)
	}
}

func TestFetchFromNearest(t *testing.T) {
	t.Run("equal mirror", func(t *testing.T) {
		f := newFixture(t, "http", "fetchFrom=nearest")
		// mirror1 is behind; the origin answers its first listing only
		// after mirror2 answered its own, and slowly: on a loaded machine
		// a delay alone could pass before mirror2's listing did.
		gittest.Commit(t, f.work, "new", "new\n", "new")
		f.seed(f.origin, f.mirrors[1])
		f.origin.srv.AddFault(gittest.Fault{Prefix: "/app.git", Delay: delay, Count: 1,
			Hook: func(*http.Request) { servedListing(f.mirrors[1]) }})

		dst, stderr := cloneStderr(t, f)
		if got, want := gittest.Git(t, dst, "rev-parse", "HEAD"), gittest.RefOf(t, f.work, "main"); got != want {
			t.Errorf("HEAD = %s, want %s", got, want)
		}
		// Each server answers one listing POST (ls-refs); the clone's own
		// ls-refs and fetch go to mirror2 only.
		if f.mirrors[1].uploads() < 3 || f.origin.uploads() > 1 || f.mirrors[0].uploads() > 1 {
			t.Errorf("upload-pack POSTs: origin %d, mirror1 %d, mirror2 %d; want the fetch on mirror2 only",
				f.origin.uploads(), f.mirrors[0].uploads(), f.mirrors[1].uploads())
		}
		if strings.Contains(stderr, "warning") {
			t.Errorf("nearest is not failover, yet:\n%s", stderr)
		}
	})
	for _, tr := range transports {
		t.Run("no equal mirror "+tr, func(t *testing.T) {
			f := newFixture(t, tr, "fetchFrom=nearest")
			gittest.Commit(t, f.work, "new", "new\n", "new")
			f.seed(f.origin)
			dst, _ := cloneStderr(t, f)
			if got, want := gittest.Git(t, dst, "rev-parse", "HEAD"), gittest.RefOf(t, f.work, "main"); got != want {
				t.Errorf("HEAD = %s, want %s (the origin's)", got, want)
			}
			if tr == "http" && (f.origin.uploads() < 3 || f.mirrors[0].uploads() > 1 || f.mirrors[1].uploads() > 1) {
				t.Errorf("upload-pack POSTs: origin %d, mirror1 %d, mirror2 %d; want the fetch on origin only",
					f.origin.uploads(), f.mirrors[0].uploads(), f.mirrors[1].uploads())
			}
		})
	}
	t.Run("origin down", func(t *testing.T) {
		f := newFixture(t, "http", "fetchFrom=nearest")
		f.takeDown(f.origin)
		_, stderr := cloneStderr(t, f)
		if n := len(failoverWarnings(stderr, f.origin.url, f.mirrors[0].url)); n != 1 {
			t.Errorf("want one failover warning naming mirror1:\n%s", stderr)
		}
	})
}

// servedListing waits until r has answered a listing (an upload-pack
// POST) in full, for a minute at most: a fault's hook runs on the
// server's goroutine, where the test cannot fail; the assertions after
// the clone tell what happened.
func servedListing(r repo) {
	for range 3000 {
		for _, q := range r.srv.Requests() {
			if q.Method == "POST" && strings.HasSuffix(q.Path, "/git-upload-pack") && !q.End.IsZero() {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCloneEmptyRepository(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			gittest.Isolate(t)
			r := newRepo(t, tr, "origin")
			gittest.Git(t, "", "config", "--global", "federation.app.origin", r.url)
			dst := filepath.Join(t.TempDir(), "clone")
			out, err := gittest.GitCombined("", nil, "clone", "federate::app", dst)
			if err != nil {
				t.Fatalf("clone: %v\n%s", err, out)
			}
			if !strings.Contains(out, "empty repository") {
				t.Errorf("no empty-repository warning:\n%s", out)
			}
			if refs, _ := gittest.GitErr(dst, nil, "show-ref"); refs != "" {
				t.Errorf("refs in an empty clone: %s", refs)
			}
		})
	}
}

// git clone federate::<mistyped name> fails as git clone <no such
// repository> does: the directory git made for the clone is not a
// repository to clone from.
func TestCloneOfAMistypedNameFails(t *testing.T) {
	gittest.Isolate(t)
	r := newRepo(t, "file", "origin")
	gittest.Git(t, "", "config", "--global", "federation.app.origin", r.url)
	dir := t.TempDir()
	out, err := gittest.GitCombined(dir, nil, "clone", "federate::aap")
	if err == nil {
		t.Fatalf("clone of a name no federation has succeeded:\n%s", out)
	}
	if !strings.Contains(out, `no such federation "aap"; did you mean "app"?`) {
		t.Errorf("the error does not name the federation meant:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "aap")); !os.IsNotExist(err) {
		t.Errorf("git left the clone's directory behind: %v", err)
	}
	// Plain git, of a repository that is not there, exits the same way.
	plainOut, plainErr := gittest.GitCombined(dir, nil, "clone", "aap")
	if code, plain := exitCode(err), exitCode(plainErr); code != plain {
		t.Errorf("exit %d, plain git clone of a missing repository %d:\n%s", code, plain, plainOut)
	}
}

// federate::<origin-url> works with no federation, and takes its mirrors
// from a federation whose origin is that URL.
func TestCloneByURL(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			gittest.Isolate(t)
			work := gittest.NewWorkRepo(t)
			r := newRepo(t, tr, "origin")
			gittest.Seed(t, work, r.path)
			dst := filepath.Join(t.TempDir(), "clone")
			if out, err := gittest.GitCombined("", nil, "clone", "federate::"+r.url, dst); err != nil {
				t.Fatalf("clone: %v\n%s", err, out)
			}
			if got, want := gittest.Git(t, dst, "rev-parse", "HEAD"), gittest.RefOf(t, work, "main"); got != want {
				t.Errorf("HEAD = %s, want %s", got, want)
			}
		})
	}
	t.Run("mirrors from config", func(t *testing.T) {
		f := newFixture(t, "http")
		f.takeDown(f.origin)
		dst := filepath.Join(t.TempDir(), "clone")
		out, err := gittest.GitCombined("", nil, "clone", "-q", "federate::"+f.origin.url, dst)
		if err != nil {
			t.Fatalf("clone: %v\n%s", err, out)
		}
		if !strings.Contains(out, "fetching from mirror "+f.mirrors[0].url) {
			t.Errorf("no failover to the configured mirror:\n%s", out)
		}
	})
}

func TestPartialClone(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFixture(t, tr)
			if tr == "file" {
				gittest.Git(t, f.origin.path, "config", "uploadpack.allowFilter", "true")
			}
			readme := gittest.Git(t, f.work, "rev-parse", "HEAD:README")
			dst := mustClone(t, f, "--no-checkout", "--filter=blob:none")
			if missing := gittest.Git(t, dst, "rev-list", "--objects", "--missing=print", "--all"); !strings.Contains(missing, "?"+readme) {
				t.Errorf("README's blob was fetched by a blob:none clone:\n%s", missing)
			}
			// The checkout fetches the blob lazily, through the helper again.
			gittest.Git(t, dst, "checkout", "-q", "main")
			if b, err := os.ReadFile(filepath.Join(dst, "README")); err != nil || string(b) != "hello\n" {
				t.Errorf("README after checkout: %q %v", b, err)
			}
			cfg := gittest.Git(t, dst, "config", "--local", "--list")
			if strings.Contains(cfg, "remote.file:") || strings.Contains(cfg, "remote.http:") {
				t.Errorf("the helper registered a server as a promisor remote:\n%s", cfg)
			}

			gittest.Commit(t, f.work, "new", "new\n", "new")
			gittest.Git(t, f.work, "tag", "-a", "v2", "-m", "release 2")
			f.seed(f.origin)
			gittest.Git(t, dst, "fetch", "-q")
			checkRefs(t, dst, map[string]string{
				"refs/remotes/origin/main": gittest.RefOf(t, f.work, "main"),
				"refs/tags/v2":             gittest.RefOf(t, f.work, "refs/tags/v2"),
			})
		})
	}
}

func TestLsRemoteAndFamily(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFixture(t, tr)
			want := gittest.Git(t, "", "ls-remote", f.origin.path)
			if tr == "file" {
				// A helper's list carries no peeled values (git would take
				// "refs/tags/v1^{}" for a ref).
				want = gittest.Git(t, "", "ls-remote", "--refs", f.origin.path)
				want = gittest.Git(t, "", "ls-remote", f.origin.path, "HEAD") + "\n" + want
			}
			if got := gittest.Git(t, "", "ls-remote", "federate::app"); got != want {
				t.Errorf("ls-remote federate::app:\n%s\nwant\n%s", got, want)
			}
			// 127.0.0.1 is IPv4: -4 must reach it on either path.
			dst := mustClone(t, f, "-4")
			if got, want := gittest.Git(t, dst, "rev-parse", "HEAD"), gittest.RefOf(t, f.work, "main"); got != want {
				t.Errorf("HEAD = %s, want %s", got, want)
			}
		})
	}
}

// With every trace git has turned on, no token and no Basic credential
// built from it shows up, although the servers did get one.
func TestTracesHoldNoToken(t *testing.T) {
	f := newFixture(t, "http")
	f.takeDown(f.origin) // the mirror's token is used after a failed origin
	trace := []string{"GIT_TRACE=1", "GIT_TRACE_PACKET=1", "GIT_TRACE_CURL=1", "GIT_TRACE2=1",
		"GIT_TRANSPORT_HELPER_DEBUG=1", "GIT_TRACE_FEDERATE=1", "GIT_CURL_VERBOSE=1"}
	dst := filepath.Join(t.TempDir(), "clone")
	out, err := gittest.GitCombined("", trace, "clone", "federate::app", dst)
	if err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	more, err := gittest.GitCombined(dst, trace, "fetch", "--depth=1")
	if err != nil {
		t.Fatalf("fetch: %v\n%s", err, more)
	}
	out += more
	user := ""
	for _, r := range f.mirrors[0].srv.Requests() {
		if r.Authorization != "" {
			user = r.User
		}
	}
	if user == "" {
		t.Fatal("the mirror never got credentials: the check below would prove nothing")
	}
	for _, secret := range []string{"mirror1-token", "origin-token", gittest.BasicAuthHeader(user, "mirror1-token")} {
		if strings.Contains(out, secret) {
			t.Errorf("trace output holds %q", secret)
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(dst, ".git", "config"))
	if strings.Contains(string(cfg), "token") {
		t.Errorf(".git/config holds a token:\n%s", cfg)
	}
}

// A git:// origin goes through list and fetch batches like file://, and
// fails over to a mirror when its daemon stops.
func TestGitDaemonOrigin(t *testing.T) {
	gittest.Isolate(t)
	base := t.TempDir()
	gittest.Git(t, "", "init", "-q", "--bare", "-b", "main", filepath.Join(base, "app.git"))
	mirror := newRepo(t, "file", "mirror")
	work := gittest.NewWorkRepo(t)
	gittest.Commit(t, work, "2", "2\n", "second")
	gittest.Git(t, work, "tag", "-a", "v1", "-m", "v1")
	gittest.Seed(t, work, filepath.Join(base, "app.git"), mirror.path)
	prefix, stop := gittest.StartGitDaemon(t, base)
	gittest.Git(t, "", "config", "--global", "federation.app.origin", prefix+"app.git")
	gittest.Git(t, "", "config", "--global", "federation.app.mirror", mirror.url)

	dst := filepath.Join(t.TempDir(), "clone")
	if out, err := gittest.GitCombined("", nil, "clone", "-q", "--depth=1", "federate::app", dst); err != nil || out != "" {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	checkRefs(t, dst, map[string]string{"HEAD": gittest.RefOf(t, work, "main"), "refs/tags/v1": gittest.RefOf(t, work, "v1")})
	if n := gittest.Git(t, dst, "rev-list", "--count", "HEAD"); n != "1" {
		t.Errorf("--depth=1 clone has %s commits", n)
	}

	gittest.Commit(t, work, "3", "3\n", "third")
	gittest.Git(t, work, "tag", "-a", "v2", "-m", "v2")
	gittest.Seed(t, work, mirror.path)
	stop()
	out, err := gittest.GitCombined(dst, nil, "fetch", "-q")
	if err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	if len(failoverWarnings(out, prefix+"app.git", mirror.url)) == 0 {
		t.Errorf("no failover warning:\n%s", out)
	}
	checkRefs(t, dst, map[string]string{"refs/remotes/origin/main": gittest.RefOf(t, work, "main"), "refs/tags/v2": gittest.RefOf(t, work, "v2")})
}

// A mistake in one federation's config does not stop the others; cloning
// the broken one says which key to fix.
func TestMisconfiguredFederationIsIsolated(t *testing.T) {
	f := newFixture(t, "file")
	gittest.Git(t, "", "config", "--global", "federation.broken.origin", f.origin.url)
	gittest.Git(t, "", "config", "--global", "federation.broken.fetchFrom", "fastest")
	mustClone(t, f)
	out, err := gittest.GitCombined("", nil, "clone", "federate::broken", filepath.Join(t.TempDir(), "b"))
	if err == nil || !strings.Contains(out, "federation.broken.fetchFrom") {
		t.Fatalf("clone of the broken federation: err=%v\n%s", err, out)
	}
}
