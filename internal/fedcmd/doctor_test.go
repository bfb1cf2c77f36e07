package fedcmd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitserve"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

func doctorOpts(t *testing.T) DoctorOptions {
	return DoctorOptions{
		Dir:     t.TempDir(),
		Exe:     filepath.Join(gittest.BinDir(t), "git-federate"),
		Keyring: func(context.Context) (string, error) { return "test keyring", nil },
	}
}

func federateOn(t *testing.T, srv *gittest.Server) string {
	origin := srv.InitBare(t, "origin.git")
	mirror := srv.InitBare(t, "mirror.git")
	gittest.Git(t, "", "config", "--global", "federation.f.origin", origin)
	gittest.Git(t, "", "config", "--global", "federation.f.mirror", mirror)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestDoctorHealthy(t *testing.T) {
	gittest.Isolate(t)
	srv := gittest.NewServer(t, gittest.Auth{Token: "tok-healthy-123"})
	host := federateOn(t, srv)
	t.Setenv(keystore.EnvName(host), "tok-healthy-123")
	gittest.Git(t, "", "config", "--global", "protocol.federate.allow", "always")

	stdio, out, _ := testIO("")
	if err := runDoctor(t.Context(), stdio, doctorOpts(t)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"OK    git: git version 2.",
		"OK    git-remote-federate on PATH: " + gittest.BinDir(t),
		"OK    OS keyring: test keyring",
		"OK    federation config: 1 federation(s)",
		"OK    token for " + srv.URL + ": token from env:" + keystore.EnvName(host) + "; checked by ls-remote",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "tok-healthy-123") {
		t.Errorf("report shows the token:\n%s", out)
	}
	if len(srv.Requests()) == 0 {
		t.Error("the token was not tried against the server")
	}
}

func TestDoctorListsWhatToFix(t *testing.T) {
	gittest.Isolate(t)
	srv := gittest.NewServer(t, gittest.Auth{Token: "right-token"})
	host := federateOn(t, srv)
	t.Setenv(keystore.EnvName(host), "wrong-token-456")
	// A second federation with a mistake: reported, and f still checked.
	gittest.Git(t, "", "config", "--global", "federation.g.origin", srv.URL+"/g.git")
	gittest.Git(t, "", "config", "--global", "federation.g.fetchFrom", "fastest")
	gittest.Git(t, "", "config", "--global", "--unset", "protocol.federate.allow")
	opts := doctorOpts(t)
	opts.LookPath = func(name string) (string, error) {
		if name == "git-credential-federate" {
			return "", exec.ErrNotFound
		}
		return exec.LookPath(name)
	}
	opts.Keyring = func(context.Context) (string, error) { return "", errors.New("no D-Bus session bus") }

	stdio, out, _ := testIO("")
	err := runDoctor(t.Context(), stdio, opts)
	if err == nil || exitCodeOf(err) != ExitFailure || !strings.Contains(err.Error(), "3 check(s) failed") {
		t.Fatalf("err = %v\n%s", err, out)
	}
	for _, want := range []string{
		"FAIL  git-credential-federate on PATH: not found",
		"fix: install all three names",
		"WARN  OS keyring: no D-Bus session bus",
		"FAIL  federation config: federation.g.fetchFrom",
		"FAIL  token for " + srv.URL,
		// The token is in the variable, which comes before the keyring.
		"fix: the server refused the credentials: set a valid token in " + keystore.EnvName(host) + " (it comes before the OS keyring",
		"HINT  protocol.federate.allow",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String()+err.Error(), "wrong-token-456") {
		t.Errorf("report shows the token:\n%s", out)
	}
}

func TestDoctorAnonymousHostIsAWarning(t *testing.T) {
	gittest.Isolate(t)
	srv := gittest.NewServer(t, gittest.Auth{})
	federateOn(t, srv)
	stdio, out, _ := testIO("")
	if err := runDoctor(t.Context(), stdio, doctorOpts(t)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := "WARN  token for " + srv.URL + ": token not found; "; !strings.Contains(out.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, out)
	}
}

// Many federations in the global config cost every git process a sync
// starts: doctor says so, and says nothing once they are in a
// repository's config, where doctor (and sync) run.
func TestDoctorSuggestsARepositoryForManyFederations(t *testing.T) {
	home := gittest.Isolate(t)
	var feds strings.Builder
	for i := range manyGlobalFederations {
		// ssh: doctor leaves its servers to ssh, and asks none of them.
		fmt.Fprintf(&feds, "[federation \"f%03d\"]\n\torigin = ssh://git@origin.example/r%03d.git\n\tmirror = ssh://git@mirror.example/r%03d.git\n", i, i, i)
	}
	global := filepath.Join(home, ".gitconfig")
	if err := os.WriteFile(global, []byte(feds.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	hint := fmt.Sprintf("HINT  where the federations live: %d federations are in the global or system config", manyGlobalFederations)
	stdio, out, _ := testIO("")
	if err := runDoctor(t.Context(), stdio, doctorOpts(t)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out.String(), hint) || !strings.Contains(out.String(), "fix: keep them in the config of a repository") {
		t.Errorf("report lacks %q and its fix:\n%s", hint, out)
	}

	included := filepath.Join(t.TempDir(), "federations")
	if err := os.Rename(global, included); err != nil {
		t.Fatal(err)
	}
	opts := doctorOpts(t)
	opts.Dir = filepath.Join(opts.Dir, "federations.git")
	gittest.Git(t, "", "init", "-q", "--bare", opts.Dir)
	gittest.Git(t, opts.Dir, "config", "include.path", included)
	stdio, out, _ = testIO("")
	if err := runDoctor(t.Context(), stdio, opts); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(out.String(), "where the federations live") || !strings.Contains(out.String(), fmt.Sprintf("OK    federation config: %d federation(s)", manyGlobalFederations)) {
		t.Errorf("with the federations in a repository's config:\n%s", out)
	}
}

func TestProbeKeyring(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	if _, err := probeKeyring(t.Context(), env(map[string]string{"FEDERATE_KEYRING": "off"})); !errors.Is(err, ErrKeyringOff) {
		t.Errorf("FEDERATE_KEYRING=off: %v", err)
	}
	if _, err := probeKeyring(t.Context(), env(nil)); err == nil || !strings.Contains(err.Error(), "no D-Bus session bus") {
		t.Errorf("no bus: %v", err)
	}
}

// Servers reached without a token are checked too: a file mirror whose
// path is gone and a git:// mirror whose daemon is down are problems
// (exit 1), each with what to check; a file origin and a git:// mirror
// that answer are fine.
func TestDoctorChecksFileAndGitServers(t *testing.T) {
	gittest.Isolate(t)
	base := t.TempDir()
	origin := filepath.Join(base, "origin.git")
	gittest.Git(t, "", "init", "-q", "--bare", origin)
	gittest.Git(t, "", "init", "-q", "--bare", filepath.Join(base, "served.git"))
	prefix, _ := gittest.StartGitDaemon(t, base)
	downPrefix, stop := gittest.StartGitDaemon(t, t.TempDir())
	stop()
	gone := "file://" + filepath.Join(base, "gone.git")
	gittest.Git(t, "", "config", "--global", "federation.f.origin", origin)
	for _, m := range []string{gone, prefix + "served.git", downPrefix + "down.git"} {
		gittest.Git(t, "", "config", "--global", "--add", "federation.f.mirror", m)
	}
	gittest.Git(t, "", "config", "--global", "protocol.federate.allow", "always")

	stdio, out, _ := testIO("")
	err := runDoctor(t.Context(), stdio, doctorOpts(t))
	if err == nil || exitCodeOf(err) != ExitFailure || !strings.Contains(err.Error(), "2 check(s) failed") {
		t.Fatalf("err = %v, want 2 failed checks\n%s", err, out)
	}
	for _, want := range []string{
		"OK    repository " + origin + ": listed its refs",
		"OK    repository " + prefix + "served.git: listed its refs",
		"FAIL  repository " + gone + ": ",
		"fix: check that the path exists and is a git repository",
		"FAIL  repository " + downPrefix + "down.git: ",
		"fix: check that the git daemon at " + strings.TrimSuffix(downPrefix, "/") + " is running",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// A protocol the federations use and git's protocol policy forbids is a
// failure, with the key to set; the same policy allowing it says
// nothing.
func TestDoctorFailsAProtocolGitMayNotUse(t *testing.T) {
	gittest.Isolate(t)
	// Nothing listens on port 1: the token checks fail at once.
	gittest.Git(t, "", "config", "--global", "federation.f.origin", "https://127.0.0.1:1/r.git")
	gittest.Git(t, "", "config", "--global", "federation.f.mirror", "http://127.0.0.1:1/r.git")
	gittest.Git(t, "", "config", "--global", "protocol.allow", "never")
	gittest.Git(t, "", "config", "--global", "protocol.https.allow", "always")
	want := "FAIL  git's protocol policy: git may not use http, which 1 server(s) of the federations use"
	for _, allowed := range []bool{false, true} {
		if allowed {
			gittest.Git(t, "", "config", "--global", "protocol.http.allow", "user")
		}
		stdio, out, _ := testIO("")
		_ = runDoctor(t.Context(), stdio, doctorOpts(t)) // the servers are down
		report := out.String()
		switch {
		case !allowed && (!strings.Contains(report, want) || !strings.Contains(report, "fix: git config --global protocol.http.allow always")):
			t.Errorf("with http forbidden, the report lacks %q and its fix:\n%s", want, report)
		case !allowed && strings.Contains(report, "may not use https"):
			t.Errorf("https is allowed:\n%s", report)
		case allowed && strings.Contains(report, "protocol policy"):
			t.Errorf("with http allowed:\n%s", report)
		}
	}
}

// Doctor checks the servers of several federations at once: each
// listing of a federation's repository is held until another arrives
// (or every one has), so one after the other each would wait for its
// limit, and none would ever be in flight beside another.
func TestDoctorChecksFederationsAtOnce(t *testing.T) {
	gittest.Isolate(t)
	root := t.TempDir()
	backend, err := gitserve.Backend(t.Context(), "", root)
	if err != nil {
		t.Fatal(err)
	}
	const feds = 12
	const held = 2 * (feds - 1) // every origin and mirror but f00's: the host's own check lists one first
	var (
		mu                      sync.Mutex
		wake                    = sync.NewCond(&mu)
		arrived, inFlight, most int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("service") != "" && !strings.HasPrefix(r.URL.Path, "/o00.git/") && !strings.HasPrefix(r.URL.Path, "/m00.git/") {
			mu.Lock()
			arrived++
			me := arrived
			inFlight++
			most = max(most, inFlight)
			wake.Broadcast()
			limit := time.AfterFunc(5*time.Second, func() { mu.Lock(); wake.Broadcast(); mu.Unlock() })
			for start := time.Now(); arrived == me && arrived < held && time.Since(start) < 5*time.Second; {
				wake.Wait()
			}
			limit.Stop()
			inFlight--
			mu.Unlock()
		}
		gitserve.Handler(backend).ServeHTTP(w, r)
	}))
	defer srv.Close()
	for i := range feds {
		for _, repo := range []string{fmt.Sprintf("o%02d.git", i), fmt.Sprintf("m%02d.git", i)} {
			gittest.Git(t, "", "init", "-q", "--bare", filepath.Join(root, repo))
		}
		gittest.Git(t, "", "config", "--global", fmt.Sprintf("federation.f%02d.origin", i), fmt.Sprintf("%s/o%02d.git", srv.URL, i))
		gittest.Git(t, "", "config", "--global", fmt.Sprintf("federation.f%02d.mirror", i), fmt.Sprintf("%s/m%02d.git", srv.URL, i))
	}
	t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), "tok-at-once-123")
	stdio, out, _ := testIO("")
	if err := runDoctor(t.Context(), stdio, doctorOpts(t)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := strings.Count(out.String(), "OK    servers of federation f"); n != feds {
		t.Errorf("%d federations' servers reported reachable, want %d:\n%s", n, feds, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if arrived != held || most < 2 {
		t.Errorf("%d listings held, at most %d at once: want %d, several at once", arrived, most, held)
	}
}
