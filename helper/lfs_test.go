package helper

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/lfs"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// lfsServer is one Gitea holding the repository "r".
type lfsServer struct {
	*gittest.Gitea
	repo string // clone URL of r
}

func startLFSServer(t *testing.T, withLFS bool) lfsServer {
	t.Helper()
	start := gittest.StartGitea
	if withLFS {
		start = gittest.StartGiteaLFS
	}
	g := start(t)
	u, _ := url.Parse(g.URL)
	t.Setenv(keystore.EnvName(u.Host), g.Token)
	return lfsServer{Gitea: g, repo: g.CreateRepo(t, "r").CloneURL}
}

// lfsBytes reads oid back from s through its LFS batch API.
func (s lfsServer) lfsBytes(t *testing.T, o lfs.Object) ([]byte, error) {
	t.Helper()
	c, _ := lfs.NewClient(s.repo, func(context.Context, string) (string, string, error) { return s.User, s.Token, nil }, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	open, err := c.Download(ctx, []lfs.Object{o})
	if err != nil {
		return nil, err
	}
	r, err := open(ctx, o)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// randomFile writes n deterministic pseudo-random bytes to path and
// returns them with their LFS object.
func randomFile(t *testing.T, path string, seed uint64, n int) ([]byte, lfs.Object) {
	t.Helper()
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return b, lfs.Object{OID: hex.EncodeToString(sum[:]), Size: int64(n)}
}

func gitOK(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := gittest.GitCombined(dir, env, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// noTokens fails when any server's token is in text.
func noTokens(t *testing.T, where, text string, servers ...lfsServer) {
	t.Helper()
	for _, s := range servers {
		if strings.Contains(text, s.Token) {
			t.Errorf("%s holds a token", where)
		}
	}
}

// The whole story on real Gitea LFS servers: a push through the
// federation uploads a new LFS file to origin and both LFS mirrors
// (read back from each, byte for byte), while a mirror without LFS is
// reported, queued, and never gets the ref; a clone checks out the real
// content; `git federate sync` carries an object pushed straight to
// origin; with origin down, a clone takes refs and LFS objects from a
// mirror. No token reaches output or config.
func TestLFSThroughTheFederation(t *testing.T) {
	if _, err := exec.LookPath("git-lfs"); err != nil {
		t.Fatalf("git-lfs is not installed (scripts/test installs it): %v", err)
	}
	gittest.Isolate(t)
	origin, m1, m2, plain := startLFSServer(t, true), startLFSServer(t, true), startLFSServer(t, true), startLFSServer(t, false)
	all := []lfsServer{origin, m1, m2, plain}
	gitOK(t, "", nil, "lfs", "install")
	gitOK(t, "", nil, "config", "--global", "federation.f.origin", origin.repo)
	for _, m := range []lfsServer{m1, m2, plain} {
		gitOK(t, "", nil, "config", "--global", "--add", "federation.f.mirror", m.repo)
	}

	work := filepath.Join(t.TempDir(), "work")
	gitOK(t, "", nil, "init", "-q", work)
	gitOK(t, work, nil, "remote", "add", "fed", "federate::f")
	gitOK(t, work, nil, "lfs", "track", "*.bin")
	content, obj := randomFile(t, filepath.Join(work, "model.bin"), 1, 300<<10)
	gitOK(t, work, nil, "add", ".gitattributes", "model.bin")
	gitOK(t, work, nil, "commit", "-qm", "a model")
	out := gitOK(t, work, nil, "push", "fed", "HEAD:refs/heads/main")
	t.Logf("push:\n%s", out)
	noTokens(t, "push output", out, all...)
	for name, s := range map[string]lfsServer{"origin": origin, "mirror 1": m1, "mirror 2": m2} {
		if got, err := s.lfsBytes(t, obj); err != nil || !bytes.Equal(got, content) {
			t.Errorf("%s serves %d bytes of the LFS file (%v); want the %d pushed", name, len(got), err, len(content))
		}
	}
	if !strings.Contains(out, "mirror "+plain.repo) || !strings.Contains(out, "does not support Git LFS") || !strings.Contains(out, "queued") {
		t.Errorf("push did not report and queue the mirror without LFS:\n%s", out)
	}
	if refs, _ := gittest.GitErr("", plain.GitEnv(), "ls-remote", plain.repo); strings.Contains(refs, "refs/heads/main") {
		t.Errorf("the mirror without LFS got main, pointing at an object it lacks")
	}

	clone := filepath.Join(t.TempDir(), "clone")
	out = gitOK(t, "", nil, "clone", "federate::f", clone)
	noTokens(t, "clone output", out, all...)
	if got, _ := os.ReadFile(filepath.Join(clone, "model.bin")); !bytes.Equal(got, content) {
		t.Errorf("clone checked out %d bytes of model.bin, want the %d pushed (a pointer is not enough)", len(got), len(content))
	}
	cfg, _ := os.ReadFile(filepath.Join(clone, ".git", "config"))
	noTokens(t, "the clone's .git/config", string(cfg), all...)

	// A push straight to origin, as a forge's web editor or CI would.
	direct := filepath.Join(t.TempDir(), "direct")
	gitOK(t, "", origin.GitEnv(), "clone", "-q", origin.repo, direct)
	content2, obj2 := randomFile(t, filepath.Join(direct, "data.bin"), 2, 200<<10)
	gitOK(t, direct, nil, "add", "data.bin")
	gitOK(t, direct, nil, "commit", "-qm", "data")
	gitOK(t, direct, origin.GitEnv(), "push", "-q", "origin", "main")
	if _, err := m1.lfsBytes(t, obj2); err == nil {
		t.Fatal("mirror 1 has the object before sync: the test proves nothing")
	}
	status, _ := exec.Command(filepath.Join(gittest.BinDir(t), "git-federate"), "status", "f").CombinedOutput()
	if !strings.Contains(string(status), "LFS objects missing on the mirror: 1") {
		t.Errorf("status does not count the LFS object mirror 1 lacks:\n%s", status)
	}
	sync := exec.Command(filepath.Join(gittest.BinDir(t), "git-federate"), "sync", "f")
	syncOut, _ := sync.CombinedOutput() // the mirror without LFS fails: exit 3
	noTokens(t, "sync output", string(syncOut), all...)
	for name, s := range map[string]lfsServer{"mirror 1": m1, "mirror 2": m2} {
		if got, err := s.lfsBytes(t, obj2); err != nil || !bytes.Equal(got, content2) {
			t.Errorf("after sync %s serves %d bytes of data.bin (%v); want %d\n%s", name, len(got), err, len(content2), syncOut)
		}
	}
	if !strings.Contains(string(syncOut), "does not support Git LFS") {
		t.Errorf("sync did not say the mirror has no LFS:\n%s", syncOut)
	}

	origin.Stop()
	failover := filepath.Join(t.TempDir(), "failover")
	out = gitOK(t, "", nil, "clone", "federate::f", failover)
	if got, _ := os.ReadFile(filepath.Join(failover, "data.bin")); !bytes.Equal(got, content2) {
		t.Errorf("failover clone checked out %d bytes of data.bin, want %d\n%s", len(got), len(content2), out)
	}
}

// A mirror that refused a push (here: its repository did not exist yet)
// gets, with the next push, the LFS objects of the commits it missed,
// not only those of the new commit: it never holds a ref whose history
// points at objects it lacks.
func TestLFSMirrorThatMissedAPushCatchesUp(t *testing.T) {
	gittest.Isolate(t)
	origin := startLFSServer(t, true)
	late := gittest.StartGiteaLFS(t)
	u, _ := url.Parse(late.URL)
	t.Setenv(keystore.EnvName(u.Host), late.Token)
	lateRepo := lfsServer{Gitea: late, repo: late.URL + "/" + late.User + "/r.git"}
	gitOK(t, "", nil, "lfs", "install")
	gitOK(t, "", nil, "config", "--global", "federation.f.origin", origin.repo)
	gitOK(t, "", nil, "config", "--global", "federation.f.mirror", lateRepo.repo)
	work := filepath.Join(t.TempDir(), "work")
	gitOK(t, "", nil, "init", "-q", work)
	gitOK(t, work, nil, "remote", "add", "fed", "federate::f")
	gitOK(t, work, nil, "lfs", "track", "*.bin")
	content, obj := randomFile(t, filepath.Join(work, "model.bin"), 3, 100<<10)
	gitOK(t, work, nil, "add", ".gitattributes", "model.bin")
	gitOK(t, work, nil, "commit", "-qm", "a model")
	if out := gitOK(t, work, nil, "push", "fed", "HEAD:refs/heads/main"); !strings.Contains(out, "queued") {
		t.Fatalf("the push to a missing mirror repository was not queued:\n%s", out)
	}
	late.CreateRepo(t, "r")
	gittest.Commit(t, work, "README", "no large file here\n", "readme")
	gitOK(t, work, nil, "push", "fed", "HEAD:refs/heads/main")
	if got, err := lateRepo.lfsBytes(t, obj); err != nil || !bytes.Equal(got, content) {
		t.Errorf("the mirror that missed a push serves %d bytes of model.bin (%v); want %d", len(got), err, len(content))
	}
}

// configRuns reads a GIT_TRACE2_EVENT file: how many `git config` reads
// ran (--list, the helper's at its start, which a push's http settings
// come with; --get-regexp), and every other `git config` run, as
// "config <args>".
func configRuns(t *testing.T, trace string) (reads int, others []string) {
	t.Helper()
	for _, args := range gittest.GitStarts(t, trace) {
		switch {
		case gittest.Subcommand(args) != "config":
		case slices.Contains(args, "--get-regexp"), slices.Contains(args, "--list"):
			reads++
		default:
			others = append(others, strings.Join(args, " "))
		}
	}
	return reads, others
}

// tracedGit is gitOK with GIT_TRACE2_EVENT on; it checks the `git
// config` runs of all the processes of the command: reads, and exactly
// the others of want.
func tracedGit(t *testing.T, what, dir string, reads int, want []string, args ...string) {
	t.Helper()
	trace := filepath.Join(t.TempDir(), "trace2.json")
	gitOK(t, dir, []string{"GIT_TRACE2_EVENT=" + trace}, args...)
	n, got := configRuns(t, trace)
	if n != reads || !slices.Equal(got, want) {
		t.Errorf("%s: %d git config reads and the runs %q; want %d reads and %q", what, n, got, reads, want)
	}
}

// A clone of a federation points git-lfs at origin with the two `git
// config` writes alone: what is set already comes from the helper's one
// read at its start. A fetch whose settings are right runs no other
// `git config`; a URL the user changed between runs is put back; one
// right in the global config is not written again (git reads every
// scope); the credential helper is added once, and not when a helper
// of that host already names federate; a push sets lfspushurl alone,
// its http settings read in the helper's one read.
func TestLFSSettingsCostOnlyTheirWrites(t *testing.T) {
	if _, err := exec.LookPath("git-lfs"); err != nil {
		t.Fatalf("git-lfs is not installed (scripts/test installs it): %v", err)
	}
	f := newFixture(t, "http")
	ep, _ := lfs.Endpoint(f.origin.url)
	u, _ := url.Parse(f.origin.url)
	helperKey := "credential.http://" + u.Host + ".helper"
	values := func(dir string, args ...string) string {
		out, _ := gittest.GitErr(dir, nil, append([]string{"config"}, args...)...)
		return strings.TrimSpace(out)
	}
	newCommit := func(n int) { // on origin, so that the next fetch gets something
		gittest.Commit(t, f.work, "file", fmt.Sprint(n), "commit "+fmt.Sprint(n))
		gittest.Seed(t, f.work, f.origin.path)
	}

	clone := filepath.Join(t.TempDir(), "clone")
	tracedGit(t, "clone", "", 1, []string{"config remote.origin.lfsurl " + ep, "config --add " + helperKey + " federate"},
		"clone", "-q", "federate::app", clone)
	if got := values(clone, "--get", "remote.origin.lfsurl"); got != ep {
		t.Errorf("after the clone remote.origin.lfsurl = %q, want %q", got, ep)
	}

	newCommit(1)
	tracedGit(t, "a fetch with the settings right", clone, 1, nil, "fetch", "-q")

	newCommit(2)
	gitOK(t, clone, nil, "config", "remote.origin.lfsurl", "https://elsewhere.example/x.git/info/lfs")
	tracedGit(t, "a fetch after the user changed lfsurl", clone, 1, []string{"config remote.origin.lfsurl " + ep}, "fetch", "-q")
	if got := values(clone, "--get", "remote.origin.lfsurl"); got != ep {
		t.Errorf("after the fetch remote.origin.lfsurl = %q, want %q put back", got, ep)
	}
	if got := values(clone, "--get-all", helperKey); got != "federate" {
		t.Errorf("%s = %q, want federate once", helperKey, got)
	}

	newCommit(3)
	gitOK(t, clone, nil, "config", "--unset", "remote.origin.lfsurl")
	gitOK(t, "", nil, "config", "--global", "remote.origin.lfsurl", ep)
	tracedGit(t, "a fetch with lfsurl right in the global config", clone, 1, nil, "fetch", "-q")
	if got := values(clone, "--local", "--get", "remote.origin.lfsurl"); got != "" {
		t.Errorf("the repository's config got remote.origin.lfsurl = %q, already right in the global one", got)
	}

	gittest.Commit(t, clone, "pushed", "p", "a push")
	tracedGit(t, "a push", clone, 1, []string{"config remote.origin.lfspushurl " + ep}, "push", "-q", "origin", "HEAD:refs/heads/pushed")
	if got := values(clone, "--get", "remote.origin.lfspushurl"); got != ep {
		t.Errorf("after the push remote.origin.lfspushurl = %q, want %q", got, ep)
	}

	gitOK(t, "", nil, "config", "--global", "--unset", "remote.origin.lfsurl")
	gitOK(t, "", nil, "config", "--global", helperKey, "cache")
	gitOK(t, "", nil, "config", "--global", "--add", helperKey, "federate")
	again := filepath.Join(t.TempDir(), "again")
	tracedGit(t, "a clone with federate among the global credential helpers", "", 1, []string{"config remote.origin.lfsurl " + ep},
		"clone", "-q", "federate::app", again)
	if got := values(again, "--local", "--get-all", helperKey); got != "" {
		t.Errorf("the clone's config got %s = %q, already in the global one", helperKey, got)
	}
}
