package fedcmd

import (
	"path/filepath"
	"strings"
	"testing"

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
