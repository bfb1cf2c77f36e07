package gitexec

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// pushFixture is a work repository and a bare server it pushes to.
type pushFixture struct {
	work, server string
	first        string // the work repository's first commit
}

func newPushFixture(t *testing.T) pushFixture {
	t.Helper()
	gittest.Isolate(t)
	fx := pushFixture{work: gittest.NewWorkRepo(t), server: filepath.Join(t.TempDir(), "server.git")}
	gittest.Git(t, "", "init", "-q", "--bare", fx.server)
	fx.first = gittest.Git(t, fx.work, "rev-parse", "HEAD")
	gittest.Git(t, fx.work, "push", "-q", fx.server, "main", "main:refs/heads/old", "main:refs/heads/rewind", "main:refs/heads/same")
	return fx
}

func (fx pushFixture) push(t *testing.T, p Push) (PushResult, error) {
	t.Helper()
	p.URL = fx.server
	return Runner{Dir: fx.work}.Push(t.Context(), p)
}

// Every flag git prints in a porcelain report, read from real pushes.
func TestPushReportsEveryFlag(t *testing.T) {
	fx := newPushFixture(t)
	next := gittest.Commit(t, fx.work, "a.txt", "a\n", "fix: typo")
	// The server refuses one ref; the report names the hook's reason.
	hook := filepath.Join(fx.server, "hooks", "update")
	script := "#!/bin/sh\ncase \"$1\" in refs/heads/locked) echo 'locked by policy' >&2; exit 1;; esac\n"
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, fx.work, "tag", "v1")
	res, err := fx.push(t, Push{Verbose: true, Updates: []Update{
		{Src: "main", Dst: "refs/heads/main"},               // fast-forward
		{Src: "HEAD^{/fix: typo}", Dst: "refs/heads/colon"}, // new, a source with ':'
		{Src: "refs/tags/v1", Dst: "refs/tags/v1"},          // new tag
		{Dst: "refs/heads/old"},                             // delete
		{Src: next, Dst: "refs/heads/locked"},               // remote rejected
		{Src: fx.first, Dst: "refs/heads/same"},             // up to date
	}})
	if err == nil {
		t.Fatal("push with a refused ref succeeded")
	}
	want := map[string]struct {
		flag    byte
		from    string
		summary string
		reason  string
	}{
		"refs/heads/main":   {' ', "refs/heads/main", fx.first[:7] + ".." + next[:7], ""},
		"refs/heads/colon":  {'*', "HEAD^{/fix: typo}", "[new branch]", ""},
		"refs/tags/v1":      {'*', "refs/tags/v1", "[new tag]", ""},
		"refs/heads/old":    {'-', "", "[deleted]", ""},
		"refs/heads/locked": {'!', next, "[remote rejected]", "hook declined"},
		"refs/heads/same":   {'=', fx.first, "[up to date]", ""},
	}
	for ref, w := range want {
		got, ok := res.Refs[ref]
		if !ok {
			t.Errorf("%s: not reported; got %+v", ref, res.Refs)
			continue
		}
		if got.Flag != w.flag || got.From != w.from || got.To != ref || !strings.HasPrefix(got.Summary, w.summary) || got.Reason != w.reason {
			t.Errorf("%s: got %+v, want flag %q from %q summary %q reason %q", ref, got, w.flag, w.from, w.summary, w.reason)
		}
	}
	if r := res.Refs["refs/heads/locked"]; r.OK() {
		t.Errorf("refused ref reads as OK: %+v", r)
	}
	if r := res.Refs["refs/heads/same"]; !r.OK() || !r.UpToDate() {
		t.Errorf("up-to-date ref: %+v", r)
	}
}

// Forced updates and rejected non-fast-forwards, with and without a lease.
func TestPushForceAndLease(t *testing.T) {
	fx := newPushFixture(t)
	next := gittest.Commit(t, fx.work, "a.txt", "a\n", "second")
	gittest.Git(t, fx.work, "push", "-q", fx.server, "HEAD:refs/heads/rewind", "HEAD:refs/heads/leased", "HEAD:refs/heads/stale")
	res, err := fx.push(t, Push{Updates: []Update{
		{Src: fx.first, Dst: "refs/heads/rewind", Force: true},
		{Src: fx.first, Dst: "refs/heads/main"}, // main is at first: up to date, not named
		{Src: fx.first, Dst: "refs/heads/leased", Force: true, Lease: &Lease{Expect: next}},
		{Src: fx.first, Dst: "refs/heads/stale", Force: true, Lease: &Lease{Expect: fx.first}},
		{Src: fx.first, Dst: "refs/heads/fresh", Lease: &Lease{}},
	}})
	if err == nil {
		t.Fatal("push with a stale lease succeeded")
	}
	check := func(ref string, flag byte, reason string) {
		t.Helper()
		got := res.Report(ref)
		if got.Flag != flag || got.Reason != reason {
			t.Errorf("%s: got %+v, want flag %q reason %q", ref, got, flag, reason)
		}
	}
	check("refs/heads/rewind", '+', "forced update")
	check("refs/heads/main", '=', "")
	check("refs/heads/leased", '+', "forced update")
	check("refs/heads/stale", '!', "stale info")
	check("refs/heads/fresh", '*', "")
	if !res.Refs["refs/heads/rewind"].Forced() {
		t.Error("forced update not Forced()")
	}
	if got := gittest.RefOf(t, fx.server, "refs/heads/stale"); got != next {
		t.Errorf("stale lease moved the ref to %s", got)
	}

	gittest.Git(t, fx.work, "push", "-q", fx.server, "HEAD:refs/heads/leased")
	res, _ = fx.push(t, Push{Updates: []Update{{Src: fx.first, Dst: "refs/heads/leased"}}})
	if got := res.Report("refs/heads/leased"); got.Flag != '!' || got.Summary != "[rejected]" || got.Reason != "non-fast-forward" {
		t.Errorf("unforced rewind: %+v", got)
	}
}

// git refuses a whole push that deletes a ref the server does not have
// (when the name is not a full ref name, git cannot tell what it is); the
// result names the delete, so a caller can push the rest.
func TestPushMissingDelete(t *testing.T) {
	fx := newPushFixture(t)
	res, err := fx.push(t, Push{Updates: []Update{
		{Dst: "nosuch"},
		{Src: "main", Dst: "refs/heads/new"},
	}})
	if err == nil {
		t.Fatal("push deleting a missing ref succeeded")
	}
	if !res.MissingDeletes["nosuch"] {
		t.Errorf("missing delete not noted: %+v", res)
	}
	if got := res.Report("refs/heads/new"); got.OK() {
		t.Errorf("ref of a refused push reads as OK: %+v", got)
	}
}

// A push that fails as a whole reports each of its refs rejected with
// git's reason.
func TestPushFailsAsAWhole(t *testing.T) {
	gittest.Isolate(t)
	work := gittest.NewWorkRepo(t)
	res, err := Runner{Dir: work}.Push(t.Context(), Push{URL: filepath.Join(t.TempDir(), "nosuch.git"),
		Updates: []Update{{Src: "main", Dst: "refs/heads/main"}}})
	if err == nil {
		t.Fatal("push to a missing repository succeeded")
	}
	got := res.Report("refs/heads/main")
	if got.OK() || !strings.Contains(got.Reason, "does not appear to be a git repository") {
		t.Errorf("report %+v, fatal %q", got, res.Fatal)
	}
}

func TestPushArgs(t *testing.T) {
	p := Push{URL: "https://h/r.git", DryRun: true, Atomic: true, Options: []string{"ci.skip"},
		Updates: []Update{{Src: "abc", Dst: "refs/heads/a", Force: true, Lease: &Lease{Expect: "def"}}, {Dst: "refs/heads/b", Lease: &Lease{}}, {Src: "x", Dst: "refs/heads/c", Force: true}}}
	want := []string{"-c", "advice.pushUpdateRejected=false", "-c", "push.pushOption=", "-c", "push.gpgSign=false",
		"push", "--porcelain", "--no-verify", "--no-follow-tags", "--recurse-submodules=no",
		"--dry-run", "--atomic", "--no-progress", "--push-option=ci.skip",
		"--force-with-lease=refs/heads/a:def", "--force-with-lease=refs/heads/b:",
		"--", "https://h/r.git", "abc:refs/heads/a", ":refs/heads/b", "+x:refs/heads/c"}
	if got := p.Args(); !slices.Equal(got, want) {
		t.Errorf("args\n got %q\nwant %q", got, want)
	}
	signed := Push{URL: "u", Signed: "if-asked", Progress: true}.Args()
	if slices.Contains(signed, "push.gpgSign=false") || !slices.Contains(signed, "--signed=if-asked") || !slices.Contains(signed, "--progress") {
		t.Errorf("signed push args %q", signed)
	}
}

func TestPushChunks(t *testing.T) {
	p := Push{URL: "u", Updates: make([]Update, 5)}
	var sizes []int
	for _, c := range p.chunks(2) {
		sizes = append(sizes, len(c.Updates))
	}
	if !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Errorf("chunk sizes %v", sizes)
	}
	p.Atomic = true
	if n := len(p.chunks(2)); n != 1 {
		t.Errorf("atomic push split into %d", n)
	}
}

func TestParsePorcelainJunk(t *testing.T) {
	out := "To http://x/y.git\n\nDone\n?\ta:b\tc\n*\tno-colon\t[new branch]\n*\tx:\t[new branch]\n"
	if refs := ParsePorcelain([]byte(out)); len(refs) != 0 {
		t.Errorf("parsed %+v", refs)
	}
}

// When ssh (or the server behind it) fails, git's last word is a generic
// "Could not read from remote repository."; the reason is the line before.
func TestPushFailureReasonIsSSHs(t *testing.T) {
	for _, c := range []struct{ stderr, want string }{
		{"ssh: connect to host 127.0.0.1 port 2222: Connection refused\r\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n",
			"ssh: connect to host 127.0.0.1 port 2222: Connection refused"},
		{"git@example.com: Permission denied (publickey).\r\nfatal: Could not read from remote repository.\n", "git@example.com: Permission denied (publickey)."},
		{"ERROR: Repository not found.\nfatal: Could not read from remote repository.\n", "ERROR: Repository not found."},
		{"Writing objects: 100% (3/3), done.\nfatal: Could not read from remote repository.\n", "Could not read from remote repository."},
		{"fatal: '/x.git' does not appear to be a git repository\nfatal: Could not read from remote repository.\n", "'/x.git' does not appear to be a git repository"},
	} {
		scan := &stderrScan{missing: map[string]bool{}}
		scan.Write([]byte(c.stderr))
		scan.flush()
		if got := scan.reason(); got != c.want {
			t.Errorf("reason of %q = %q, want %q", c.stderr, got, c.want)
		}
	}
}

// Cause gives the failover warning the one line that says why a server
// failed, as a push report does, without the URL the warning names
// already, and safe for a terminal: the line may be an ssh server's own.
func TestCause(t *testing.T) {
	for _, c := range []struct{ stderr, want string }{
		{"fatal: unable to access 'https://github.com/a/b.git/': Could not resolve host: github.com\n", "Could not resolve host: github.com"},
		{"fatal: unable to access 'http://127.0.0.1:1/r/': The requested URL returned error: 502\n", "The requested URL returned error: 502"},
		{"No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n", "Host key verification failed."},
		{"no answer within 30s", "no answer within 30s"},
		{"\x1b[31mERROR:\x1b[0m gone\x07\nfatal: Could not read from remote repository.\n", "ERROR: gone"},
		{"fatal: " + strings.Repeat("x", 500) + "\n", strings.Repeat("x", 160) + "…"},
		{"", ""},
	} {
		if got := Cause(c.stderr); got != c.want {
			t.Errorf("Cause(%q) = %q, want %q", c.stderr, got, c.want)
		}
	}
}
