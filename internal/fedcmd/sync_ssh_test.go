package fedcmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// `git federate sync` with an ssh:// origin and an scp-like ssh mirror on a
// real sshd: the mirror moves forward (branches, an annotated tag as a
// tag object), and a second run with nothing new pushes nothing.
func TestSyncOverSSH(t *testing.T) {
	gittest.Isolate(t)
	d := gittest.StartSSHD(t)
	t.Setenv("GIT_SSH_COMMAND", d.GitSSHCommand())
	dir := t.TempDir()
	origin, mirror := filepath.Join(dir, "origin.git"), filepath.Join(dir, "mirror.git")
	for _, p := range []string{origin, mirror} {
		gittest.Git(t, "", "init", "-q", "--bare", "-b", "main", p)
	}
	work := gittest.NewWorkRepo(t)
	gittest.Seed(t, work, origin, mirror)
	gittest.Git(t, "", "config", "--global", "federation.demo.origin", d.URL(origin))
	gittest.Git(t, "", "config", "--global", "federation.demo.mirror", d.SCPURL(mirror))

	main := gittest.Commit(t, work, "a.txt", "a\n", "on main")
	gittest.Git(t, work, "branch", "feature")
	gittest.Git(t, work, "tag", "-a", "v2", "-m", "release 2")
	gittest.Git(t, work, "push", "-q", origin, "main", "feature", "v2")
	logins := strings.Count(d.Log(), "Accepted publickey for")

	r := runBinary(t, "", "", "sync", "demo")
	if r.code != ExitOK {
		t.Fatalf("sync: exit %d\n%s%s\nsshd log:\n%s", r.code, r.stdout, r.err, d.Log())
	}
	assertRef(t, mirror, "refs/heads/main", main)
	assertRef(t, mirror, "refs/heads/feature", main)
	assertRef(t, mirror, "refs/tags/v2", gittest.RefOf(t, origin, "refs/tags/v2"))
	if !strings.Contains(r.stdout, "2 created") || !strings.Contains(r.stdout, "1 updated") {
		t.Errorf("sync output does not say what it did:\n%s", r.stdout)
	}
	// ls-remote of origin and mirror, a fetch of origin, a push to the mirror.
	if n := strings.Count(d.Log(), "Accepted publickey for") - logins; n < 3 {
		t.Errorf("sshd saw %d logins during the sync; it did not go over ssh", n)
	}

	r = runBinary(t, "", "", "sync", "--json", "demo")
	if r.code != ExitOK {
		t.Fatalf("second sync: exit %d\n%s%s", r.code, r.stdout, r.err)
	}
	rep := decodeReport(t, r.stdout)
	if f := rep.Federations[0]; f.Fetched || f.Mirrors[0].Pushed || f.Mirrors[0].URL != d.SCPURL(mirror) {
		t.Errorf("nothing new: fetched=%v pushed=%v mirror=%s", f.Fetched, f.Mirrors[0].Pushed, f.Mirrors[0].URL)
	}

	// A mirror repository that is not there: the others are synced, the
	// run is partial, and the report says why in one line.
	gone := filepath.Join(dir, "gone.git")
	gittest.Git(t, "", "config", "--global", "--add", "federation.demo.mirror", d.URL(gone))
	r = runBinary(t, "", "", "sync", "demo")
	if r.code != ExitPartial {
		t.Fatalf("sync with a missing mirror: exit %d, want %d\n%s%s", r.code, ExitPartial, r.stdout, r.err)
	}
	want := d.URL(gone) + ": FAILED: listing " + d.URL(gone) + ": git ls-remote failed (exit 128): fatal: '" + gone + "' does not appear to be a git repository\n"
	if !strings.Contains(r.stdout, want) || strings.Contains(r.stdout, "Please make sure") {
		t.Errorf("report lacks the one-line %q:\n%s", want, r.stdout)
	}
}

// A server reached over ssh that stops answering is given up after the
// federation's timeout, and the sync ends, naming the server, the step
// and the key of the limit: a mirror whose pre-receive hook hangs fails
// alone (the other mirror is synced, the run is partial); an origin that
// never sends the pack fails the federation. Without the limit, sync would wait on them for ever.
func TestSyncOverSSHHungServer(t *testing.T) {
	gittest.Isolate(t)
	d := gittest.StartSSHD(t)
	t.Setenv("GIT_SSH_COMMAND", d.GitSSHCommand())
	dir := t.TempDir()
	origin, mirror, other := filepath.Join(dir, "origin.git"), filepath.Join(dir, "mirror.git"), filepath.Join(dir, "other.git")
	for _, p := range []string{origin, mirror, other} {
		gittest.Git(t, "", "init", "-q", "--bare", "-b", "main", p)
	}
	work := gittest.NewWorkRepo(t)
	gittest.Seed(t, work, origin, mirror, other)
	gittest.Git(t, "", "config", "--global", "federation.demo.origin", d.URL(origin))
	gittest.Git(t, "", "config", "--global", "federation.demo.mirror", d.SCPURL(mirror))
	gittest.Git(t, "", "config", "--global", "--add", "federation.demo.mirror", d.URL(other))
	// Only the server meant to hang gets a limit of its own, which its
	// healthy steps before the hang (ssh handshakes, its listing) never
	// reach either: the healthy ones keep the federation's default.
	prev := ""
	hangLimit := func(url string) string {
		if prev != "" {
			gittest.Git(t, "", "config", "--global", "--unset", prev)
		}
		prev = gittest.LimitHung(t, url)
		return prev
	}
	sync := func() result {
		t.Helper()
		// The test's own bound, far beyond the hung server's limit: a
		// sync that reaches it never gave the server up.
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(gittest.BinDir(t), "git-federate"), "sync", "demo")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.WaitDelay = 5 * time.Second // its git children may hold the output
		err := cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("sync never gave the hung server up:\n%s%s", out.String(), errb.String())
		}
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), err: errb.String()}
	}

	// The mirror takes the pack and never reports the ref update.
	before := gittest.RefOf(t, mirror, "refs/heads/main")
	c := gittest.Commit(t, work, "a.txt", "a\n", "on main")
	gittest.Git(t, work, "push", "-q", origin, "main")
	hook := gittest.HangHook(t, mirror, "pre-receive")
	key := hangLimit(d.SCPURL(mirror))
	r := sync()
	// Given up at the step where the server hangs.
	givenUp := func(out, host, step string) bool {
		return strings.Contains(out, "ssh "+host+": no data moved for "+gittest.HangLimit.String()+" "+step+"; gave up (the limit is "+key+")")
	}
	if r.code != ExitPartial || !givenUp(r.stdout+r.err, gittest.SSHHostAlias, "during the push") || !strings.Contains(r.stdout, d.SCPURL(mirror)) {
		t.Fatalf("sync with a hung mirror: exit %d, want %d and a stall of %s (limit %s)\n%s%s", r.code, ExitPartial, gittest.SSHHostAlias, key, r.stdout, r.err)
	}
	assertRef(t, mirror, "refs/heads/main", before)
	assertRef(t, other, "refs/heads/main", c)

	// Origin lists its refs, then never sends the pack.
	os.Remove(hook)
	packHook := gittest.HangHook(t, t.TempDir(), "pack-objects")
	cfg := "[uploadpack]\n\tpackObjectsHook = " + packHook + "\n\tkeepAlive = 0\n"
	if err := os.WriteFile(filepath.Join(d.Dir, "server.gitconfig"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	gittest.Commit(t, work, "b.txt", "b\n", "later")
	gittest.Git(t, work, "push", "-q", origin, "main")
	key = hangLimit(d.URL(origin))
	r = sync()
	if host := "127.0.0.1:" + strconv.Itoa(d.Port); r.code != ExitFailure || !givenUp(r.stdout+r.err, host, "during the fetch") {
		t.Fatalf("sync with a hung origin: exit %d, want %d and a stall of %s (limit %s)\n%s%s", r.code, ExitFailure, host, key, r.stdout, r.err)
	}
	assertRef(t, other, "refs/heads/main", c)
}
