package helper

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// sshFixture is the federation "app" with its origin behind a real sshd
// (an ssh:// URL), one mirror on the same sshd named by an scp-like URL
// (user@fedssh:/path, the Host alias carrying the port) and one mirror on
// an http server with token auth. GIT_SSH_COMMAND points git at the sshd.
type sshFixture struct {
	*fixture
	sshd *gittest.SSHD
}

func newSSHFixture(t *testing.T, settings ...string) *sshFixture {
	t.Helper()
	gittest.Isolate(t)
	d := gittest.StartSSHD(t)
	t.Setenv("GIT_SSH_COMMAND", d.GitSSHCommand())
	f := &fixture{t: t, work: gittest.NewWorkRepo(t)}
	bare := func(name string) string {
		p := filepath.Join(t.TempDir(), name+".git")
		gittest.Git(t, "", "init", "-q", "--bare", "-b", "main", p)
		return p
	}
	origin, m1 := bare("origin"), bare("mirror1")
	f.origin = repo{url: d.URL(origin), path: origin}
	f.mirrors = []repo{{url: d.SCPURL(m1), path: m1}, newRepo(t, "http", "mirror2")}
	f.define(settings...)
	return &sshFixture{fixture: f, sshd: d}
}

// sshLogins counts the logins sshd accepted, each one git run over ssh.
func (f *sshFixture) sshLogins() int {
	return strings.Count(f.sshd.Log(), "Accepted publickey for")
}

func TestSSHOriginCloneFetchAndShallow(t *testing.T) {
	f := newSSHFixture(t)
	dst := mustClone(t, f.fixture)
	checkRefs(t, dst, map[string]string{
		"HEAD":                     gittest.RefOf(t, f.work, "main"),
		"refs/remotes/origin/main": gittest.RefOf(t, f.work, "main"),
		"refs/tags/v1":             gittest.RefOf(t, f.work, "refs/tags/v1"),
	})
	if got := gittest.Git(t, dst, "symbolic-ref", "refs/remotes/origin/HEAD"); got != "refs/remotes/origin/main" {
		t.Errorf("origin/HEAD = %s", got)
	}
	if f.sshLogins() == 0 {
		t.Fatalf("sshd saw no login: the clone did not go over ssh\n%s", f.sshd.Log())
	}
	if n := len(f.mirrors[1].srv.Requests()); n != 0 {
		t.Errorf("the http mirror was asked %d times while the origin was up", n)
	}

	// A new branch with an annotated tag on it: the tag comes along.
	gittest.Git(t, f.work, "checkout", "-q", "-b", "topic")
	topic := gittest.Commit(t, f.work, "topic.txt", "t\n", "topic")
	gittest.Git(t, f.work, "tag", "-a", "v2", "-m", "release 2")
	gittest.Git(t, f.work, "checkout", "-q", "--detach", "main")
	gittest.Commit(t, f.work, "lone.txt", "l\n", "on no branch")
	gittest.Git(t, f.work, "tag", "-a", "lone", "-m", "not followed")
	gittest.Git(t, f.work, "checkout", "-q", "main")
	f.seed(f.origin)
	if out, err := gittest.GitCombined(dst, nil, "fetch"); err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	checkRefs(t, dst, map[string]string{
		"refs/remotes/origin/topic": topic,
		"refs/tags/v2":              gittest.RefOf(t, f.work, "refs/tags/v2"),
		"refs/tags/v2^{commit}":     topic,
		"refs/tags/lone":            "",
	})
	gittest.Git(t, dst, "fsck", "--connectivity-only")

	shallow := mustClone(t, f.fixture, "--depth", "1", "--branch", "topic")
	if n := gittest.Git(t, shallow, "rev-list", "--count", "HEAD"); n != "1" {
		t.Errorf("--depth 1 clone has %s commits", n)
	}
	if got := gittest.Git(t, shallow, "rev-parse", "HEAD"); got != topic {
		t.Errorf("--depth 1 --branch topic: HEAD = %s, want %s", got, topic)
	}
	checkRefs(t, shallow, map[string]string{"refs/tags/v2": gittest.RefOf(t, f.work, "refs/tags/v2")})
}

// federate::<scp-like URL> clones with no federation configured, as git
// would clone the URL itself.
func TestSSHCloneByScpLikeURL(t *testing.T) {
	f := newSSHFixture(t)
	dst := filepath.Join(t.TempDir(), "clone")
	if out, err := gittest.GitCombined("", nil, "clone", "-q", "federate::"+f.mirrors[0].url, dst); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	if got, want := gittest.Git(t, dst, "rev-parse", "HEAD"), gittest.RefOf(t, f.work, "main"); got != want {
		t.Errorf("HEAD = %s, want %s", got, want)
	}
	if got := gittest.Git(t, "", "ls-remote", "federate::app"); !strings.Contains(got, gittest.RefOf(t, f.work, "main")+"\trefs/heads/main") {
		t.Errorf("ls-remote federate::app:\n%s", got)
	}
}

// A push through federate:: with an ssh origin lands on the origin, on
// the scp-like ssh mirror and on the http mirror (with its token).
func TestSSHPushLandsEverywhere(t *testing.T) {
	f := newSSHFixture(t)
	work := filepath.Join(t.TempDir(), "work")
	if out, err := gittest.GitCombined("", nil, "clone", "-q", "federate::app", work); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	main := gittest.Commit(t, work, "a.txt", "a\n", "second")
	gittest.Git(t, work, "branch", "feature")
	gittest.Git(t, work, "tag", "-a", "v2", "-m", "release 2")
	out, err := gittest.GitCombined(work, nil, "push", "origin", "main", "feature", "v2")
	if err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	v2 := gittest.RefOf(t, work, "refs/tags/v2")
	for _, r := range f.all() {
		for ref, want := range map[string]string{"refs/heads/main": main, "refs/heads/feature": main, "refs/tags/v2": v2} {
			if got := gittest.RefOf(t, r.path, ref); got != want {
				t.Errorf("%s on %s = %q, want %q", ref, r.url, got, want)
			}
		}
	}
	for _, want := range []string{"federate: pushing 3 refs to 2 mirrors",
		"federate: mirror " + f.mirrors[0].url + ": ok, updated 3 refs",
		"federate: mirror " + f.mirrors[1].url + ": ok, updated 3 refs",
		"   " + gittest.RefOf(t, f.work, "main")[:7] + ".." + main[:7] + "  main -> main"} {
		if !strings.Contains(out, want) {
			t.Errorf("push output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "mirror2-token") {
		t.Errorf("push output holds a token:\n%s", out)
	}
	if p, err := os.ReadFile(filepath.Join(work, ".git", "federate", "pending")); err == nil && len(p) > 0 {
		t.Errorf("pending after a clean push:\n%s", p)
	}
}

// An ssh mirror that fails does not stop the push: the origin takes it,
// the mirror's failure is reported in ssh's or git's own words (not
// git's generic "Could not read from remote repository.") and the update
// is queued, with the reason sync gives too. A mirror that cannot be
// reached is queued as such; one whose host key is not trusted, or whose
// protocol git's policy forbids, with that reason: the operator who
// reads `git federate status` looks at known_hosts or the policy, not at
// the network.
func TestSSHMirrorFailureIsReportedAndQueued(t *testing.T) {
	f := newSSHFixture(t)
	// Federation "x": the http server is the origin, the scp-like ssh
	// repository its mirror.
	gittest.Git(t, "", "config", "--global", "federation.x.origin", f.mirrors[1].url)
	gittest.Git(t, "", "config", "--global", "federation.x.mirror", f.mirrors[0].url)
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, "", "clone", "-q", "federate::x", work)
	for _, tc := range []struct {
		name   string
		env    []string
		reason i18n.Msg
		words  []string
		label  string // what git federate status says of the mirror
	}{
		{"untrusted host key", []string{"GIT_SSH_COMMAND=" + strings.ReplaceAll(f.sshd.GitSSHCommand(), "known_hosts", "no_known_hosts")},
			pending.ReasonHostKey, []string{"Host key verification failed."}, "HOST KEY NOT TRUSTED"},
		{"protocol not allowed", []string{"GIT_ALLOW_PROTOCOL=http:federate"}, pending.ReasonForbidden, []string{"transport 'ssh' not allowed"},
			"PROTOCOL NOT ALLOWED"},
		// Last: the sshd stays down.
		{"down", nil, pending.ReasonUnreachable, []string{"ssh: connect to host 127.0.0.1 port ", "Connection refused"}, "UNREACHABLE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := gittest.Commit(t, work, tc.name+".txt", "a\n", tc.name)
			if tc.name == "down" {
				f.sshd.Stop()
			}
			out, err := gittest.GitCombined(work, tc.env, "push", "origin", "main")
			if err != nil {
				t.Fatalf("push: %v\n%s", err, out)
			}
			if got := gittest.RefOf(t, f.mirrors[1].path, "main"); got != c {
				t.Errorf("origin main = %q, want %q", got, c)
			}
			for _, w := range append([]string{"federate: mirror " + f.mirrors[0].url + ": push failed: "}, tc.words...) {
				if !strings.Contains(out, w) {
					t.Errorf("push output lacks %q:\n%s", w, out)
				}
			}
			p, err := os.ReadFile(filepath.Join(work, ".git", "federate", "pending"))
			if err != nil || !strings.Contains(string(p), f.mirrors[0].url+"\trefs/heads/main\t"+c) ||
				!strings.HasSuffix(strings.TrimSpace(string(p)), "\t"+tc.reason.String()) {
				t.Errorf("pending queue (%v), want the entry with reason %q:\n%s", err, tc.reason, p)
			}
			// In the same environment the status cannot read the mirror
			// either, and says why in the same terms as the queue.
			zhEnv := append([]string{"LANG=zh_CN.UTF-8", "LC_ALL=", "LC_MESSAGES=", "LANGUAGE="}, tc.env...)
			status, err := gittest.GitCombined(work, zhEnv, "federate", "status")
			zh := i18n.New(language.SimplifiedChinese)
			for _, want := range []string{tc.reason.Localize(zh), f.mirrors[0].url + "：" + zh.Sprintf(tc.label) + "："} {
				if err == nil || !strings.Contains(status, want) {
					t.Errorf("git federate status (%v) lacks %q:\n%s", err, want, status)
				}
			}
		})
	}
}

// With the sshd down, the clone comes from the first mirror that answers
// (the scp-like one is on the same sshd, so the http one), with the
// one-line warning, which gives ssh's words for why, and nothing else of
// ssh's failure.
func TestSSHOriginDownFailsOver(t *testing.T) {
	f := newSSHFixture(t)
	f.sshd.Stop()
	dst, stderr := cloneStderr(t, f.fixture)
	why := failoverWarnings(stderr, f.origin.url, f.mirrors[1].url)
	if want := fmt.Sprintf("ssh: connect to host 127.0.0.1 port %d: Connection refused", f.sshd.Port); len(why) != 1 || why[0] != want {
		t.Errorf("want the warning once, with %q, got %q in:\n%s", want, why, stderr)
	}
	for _, noise := range []string{"fatal", "Could not read", "error"} {
		if strings.Contains(stderr, noise) {
			t.Errorf("stderr has %q:\n%s", noise, stderr)
		}
	}
	if got, want := gittest.Git(t, dst, "rev-parse", "HEAD"), gittest.RefOf(t, f.work, "main"); got != want {
		t.Errorf("HEAD = %s, want %s", got, want)
	}
	if f.mirrors[1].uploads() == 0 {
		t.Error("the http mirror served no pack")
	}

	// A later fetch from the clone fails over the same way.
	gittest.Commit(t, f.work, "b.txt", "b\n", "later")
	f.seed(f.mirrors[1])
	out, err := gittest.GitCombined(dst, nil, "fetch", "-q")
	if err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	if len(failoverWarnings(out, f.origin.url, f.mirrors[1].url)) != 1 {
		t.Errorf("fetch: no failover warning:\n%s", out)
	}
	checkRefs(t, dst, map[string]string{"refs/remotes/origin/main": gittest.RefOf(t, f.work, "main")})
}

// With failover off, a dead ssh origin is an error in ssh's own words,
// on one line (git's "Please make sure you have the correct access
// rights" boilerplate adds nothing).
func TestSSHOriginDownWithoutFailover(t *testing.T) {
	f := newSSHFixture(t, "failover=false")
	f.sshd.Stop()
	out, err := gittest.GitCombined("", nil, "clone", "federate::app", filepath.Join(t.TempDir(), "clone"))
	if err == nil {
		t.Fatalf("clone succeeded without origin:\n%s", out)
	}
	want := fmt.Sprintf("%s: git ls-remote failed (exit 128): ssh: connect to host 127.0.0.1 port %d: Connection refused\n", f.origin.url, f.sshd.Port)
	for _, w := range []string{"failover is off", want} {
		if !strings.Contains(out, w) {
			t.Errorf("error lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "Please make sure") || strings.Contains(out, "fetching from mirror") {
		t.Errorf("error has git's boilerplate or a failover:\n%s", out)
	}
}

// An ssh server that refuses our key answered: it is not down, as a
// server that refuses a token is not. The clone fails in ssh's own words,
// as plain git's does, with what to do, and no mirror serves in its
// place, though the scp-like one would take the key of its Host alias.
func TestSSHKeyRefusedIsNotFailedOver(t *testing.T) {
	f := newSSHFixture(t)
	t.Setenv("GIT_SSH_COMMAND", strings.ReplaceAll(f.sshd.GitSSHCommand(), "client_ed25519", "no_such_key"))
	out := cloneFailsAsGit(t, f.fixture, "Permission denied (publickey")
	for _, want := range []string{f.origin.url, "Permission denied (publickey", "\nhint: ", "did not accept your ssh key"} {
		if !strings.Contains(out, want) {
			t.Errorf("clone output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "fetching from mirror") || strings.Contains(out, "unreachable") || f.mirrors[1].uploads() != 0 {
		t.Errorf("failed over on a refusal:\n%s", out)
	}
}

// A host key ssh does not trust (StrictHostKeyChecking, no known_hosts)
// is as a TLS certificate that is not trusted: the server trusted was not
// reached, so the next server that takes us serves, and the warning says
// why. With failover off the clone fails in ssh's words, with what to do.
func TestSSHUntrustedHostKeyFailsOver(t *testing.T) {
	f := newSSHFixture(t)
	t.Setenv("GIT_SSH_COMMAND", strings.ReplaceAll(f.sshd.GitSSHCommand(), "known_hosts", "no_known_hosts"))
	dst, stderr := cloneStderr(t, f.fixture)
	if why := failoverWarnings(stderr, f.origin.url, f.mirrors[1].url); len(why) != 1 || why[0] != "Host key verification failed." {
		t.Errorf("want the warning once, with ssh's words, got %q in:\n%s", why, stderr)
	}
	if got, want := gittest.Git(t, dst, "rev-parse", "HEAD"), gittest.RefOf(t, f.work, "main"); got != want {
		t.Errorf("HEAD = %s, want %s", got, want)
	}

	gittest.Git(t, "", "config", "--global", "federation.app.failover", "false")
	out, err := gittest.GitCombined("", nil, "clone", "federate::app", filepath.Join(t.TempDir(), "clone"))
	if err == nil {
		t.Fatalf("clone succeeded with failover off:\n%s", out)
	}
	for _, want := range []string{"Host key verification failed.", "\nhint: ssh does not trust the host key of 127.0.0.1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("clone output lacks %q:\n%s", want, out)
		}
	}
}

// With ControlMaster/ControlPersist in the ssh config (common in
// ~/.ssh/config), the first ssh leaves a master running in the background.
// It must not hold the helper's pipes open: the children's output would
// never end (or end in an error after the wait limit).
func TestSSHControlPersist(t *testing.T) {
	f := newSSHFixture(t)
	cfg := filepath.Join(f.sshd.Dir, "ssh_config")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, "\tControlMaster auto\n\tControlPath "+f.sshd.Dir+"/cm-%C\n\tControlPersist 60\n"...)
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before sshd stops, so the master's session ends cleanly
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "ssh", "-F", cfg, "-O", "exit", gittest.SSHHostAlias).CombinedOutput(); err != nil {
			t.Errorf("stopping the ssh master: %v\n%s", err, out)
		}
	})
	gittest.Git(t, "", "config", "--global", "federation.cp.origin", f.mirrors[0].url) // scp-like: the alias
	work := filepath.Join(t.TempDir(), "work")
	if out, err := gittest.GitCombined("", nil, "clone", "-q", "federate::cp", work); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	if out, err := gittest.GitCombined(work, nil, "fetch"); err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	c := gittest.Commit(t, work, "cp.txt", "cp\n", "through the master")
	if out, err := gittest.GitCombined(work, nil, "push", "-q", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	if got := gittest.RefOf(t, f.mirrors[0].path, "main"); got != c {
		t.Errorf("main = %q, want %q", got, c)
	}
	if m, _ := filepath.Glob(filepath.Join(f.sshd.Dir, "cm-*")); len(m) == 0 {
		t.Error("no control socket: the test did not exercise a master")
	}
}

// fetchFrom = nearest lists every server, ssh ones included, and fetches
// from one whose refs equal the origin's.
func TestSSHFetchFromNearest(t *testing.T) {
	f := newSSHFixture(t, "fetchFrom=nearest")
	gittest.Commit(t, f.work, "new", "new\n", "new")
	f.seed(f.origin) // only the origin is up to date
	dst, stderr := cloneStderr(t, f.fixture)
	if got, want := gittest.Git(t, dst, "rev-parse", "HEAD"), gittest.RefOf(t, f.work, "main"); got != want {
		t.Errorf("HEAD = %s, want %s (the origin's)\n%s", got, want, stderr)
	}
	if f.mirrors[1].uploads() > 1 {
		t.Errorf("the stale http mirror served %d upload-pack POSTs; want its listing only", f.mirrors[1].uploads())
	}
}

// A federation URL whose ssh host or user begins with '-' would be read
// by ssh as an option (-oProxyCommand runs anything). It is refused before
// any ssh or git child runs, wherever the URL comes from: the remote
// itself or a federation's origin or mirror.
func TestSSHOptionInjectionRefused(t *testing.T) {
	gittest.Isolate(t)
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	// The would-be proxy command and ssh itself both leave a mark.
	for _, name := range []string{"fedproxy", "fake-ssh"} {
		script := "#!/bin/sh\necho " + name + " >>'" + ran + "'\nexit 1\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("GIT_SSH_COMMAND", filepath.Join(dir, "fake-ssh"))
	mirror := filepath.Join(dir, "mirror.git")
	gittest.Git(t, "", "init", "-q", "--bare", mirror)
	gittest.Git(t, "", "config", "--global", "federation.evil.origin", "ssh://-oProxyCommand=fedproxy/x.git")
	gittest.Git(t, "", "config", "--global", "federation.evilmirror.origin", mirror)
	gittest.Git(t, "", "config", "--global", "federation.evilmirror.mirror", "-oProxyCommand=fedproxy:m.git")

	for remote, why := range map[string]string{
		"federate::ssh://-oProxyCommand=fedproxy/x.git":      "bad host",
		"federate::ssh://-oProxyCommand=fedproxy@host/x.git": "bad user name",
		"federate::-oProxyCommand=fedproxy:x.git":            "begins with '-'",
		"federate::git@-oProxyCommand=fedproxy:x.git":        "bad host",
		"federate::evil":       "federation.evil.origin: unusable URL",
		"federate::evilmirror": "federation.evilmirror.mirror: unusable URL",
	} {
		out, err := gittest.GitCombined("", nil, "clone", remote, filepath.Join(t.TempDir(), "clone"))
		if err == nil {
			t.Errorf("clone %s succeeded:\n%s", remote, out)
			continue
		}
		if !strings.Contains(out, "fatal: federate: ") || !strings.Contains(out, why) {
			t.Errorf("clone %s: the refusal does not say %q:\n%s", remote, why, out)
		}
	}
	if b, err := os.ReadFile(ran); !os.IsNotExist(err) {
		t.Errorf("a command ran: %q %v", b, err)
	}
	// The control: a well-formed ssh URL does reach (fake) ssh.
	if _, err := gittest.GitCombined("", nil, "ls-remote", "federate::ssh://git@fedhost/x.git"); err == nil {
		t.Error("ls-remote through the fake ssh succeeded")
	}
	if b, _ := os.ReadFile(ran); !strings.Contains(string(b), "fake-ssh") {
		t.Errorf("the fake ssh did not run for a good URL (%q): the check above proves nothing", b)
	}
}

// A server reached over ssh that takes a push and never answers (its
// pre-receive hook hangs) is given up after the federation's timeout:
// a hung mirror's update is queued while origin and the other mirror
// get the push, and a hung origin fails the push, naming the server,
// the step and the key of the limit. Either way the push ends; without
// the limit it would wait on the server for ever.
func TestSSHHungServerIsGivenUp(t *testing.T) {
	for _, c := range []struct {
		name   string
		hung   int // index in f.all()
		pushOK bool
	}{{"mirror", 1, true}, {"origin", 0, false}} {
		t.Run(c.name, func(t *testing.T) {
			f := newSSHFixture(t)
			work := filepath.Join(t.TempDir(), "work")
			gittest.Git(t, "", "clone", "-q", "federate::app", work)
			before := gittest.RefOf(t, work, "main")
			next := gittest.Commit(t, work, "a.txt", "a\n", "second")
			hung := f.all()[c.hung]
			gittest.HangHook(t, hung.path, "pre-receive")
			// The hung server's own limit, which its healthy steps before
			// the hang (ssh handshakes, its listing) never reach either:
			// the healthy servers keep the federation's default.
			key := gittest.LimitHung(t, hung.url)

			// The test's own bound, far beyond the hung server's limit: a
			// push that reaches it never gave the server up.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "git", "push", "origin", "main")
			cmd.Dir = work
			cmd.WaitDelay = 5 * time.Second // the helper, a grandchild, may hold the output
			b, err := cmd.CombinedOutput()
			out := string(b)
			if ctx.Err() != nil {
				t.Fatalf("the push never gave the hung server up:\n%s", out)
			}
			if (err == nil) != c.pushOK {
				t.Fatalf("push: %v, want ok=%v\n%s", err, c.pushOK, out)
			}
			host := "127.0.0.1:" + fmt.Sprint(f.sshd.Port)
			if c.hung != 0 {
				host = gittest.SSHHostAlias // scp-like: the Host alias carries the port
			}
			lead := "federate: mirror " + hung.url + ": push failed: "
			if c.hung == 0 {
				lead = "main -> main (origin " + hung.url + ": "
			}
			wantGivenUp(t, out, lead+"ssh "+host, key)
			pending, _ := os.ReadFile(filepath.Join(work, ".git", "federate", "pending"))
			for _, r := range f.all() {
				got, want := gittest.RefOf(t, r.path, "main"), next
				if c.hung == 0 || r.path == hung.path {
					want = before
				}
				if got != want {
					t.Errorf("main on %s = %s, want %s", r.url, got, want)
				}
			}
			if c.hung != 0 && !strings.Contains(string(pending), hung.url+"\trefs/heads/main\t"+next) {
				t.Errorf("the hung mirror's update is not queued:\n%s", pending)
			}
		})
	}
}

// The user's ssh command is found where git finds it, not only in
// GIT_SSH_COMMAND: core.sshCommand (here on the command line for the
// clone, then in the clone's own config) or GIT_SSH (a program whose
// name tells git nothing, so git asks it with -G, through the callback).
// Clone and push work through it, ports included, and a hung mirror is
// still given up.
func TestSSHUserCommandFoundAsGitFindsIt(t *testing.T) {
	for _, how := range []string{"core.sshCommand", "GIT_SSH"} {
		t.Run(how, func(t *testing.T) {
			f := newSSHFixture(t)
			os.Unsetenv("GIT_SSH_COMMAND") // t.Setenv in newSSHFixture restores it
			var clone []string
			switch how {
			case "core.sshCommand":
				clone = []string{"-c", "core.sshCommand=" + f.sshd.GitSSHCommand()}
			case "GIT_SSH":
				wrapper := filepath.Join(t.TempDir(), "my-ssh")
				if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec "+f.sshd.GitSSHCommand()+` "$@"`+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
				t.Setenv("GIT_SSH", wrapper)
			}
			work := filepath.Join(t.TempDir(), "work")
			if out, err := gittest.GitCombined("", nil, append(clone, "clone", "-q", "federate::app", work)...); err != nil {
				t.Fatalf("clone: %v\n%s", err, out)
			}
			if how == "core.sshCommand" {
				gittest.Git(t, work, "config", "core.sshCommand", f.sshd.GitSSHCommand())
			}
			c := gittest.Commit(t, work, "a.txt", "a\n", "second")
			gittest.HangHook(t, f.mirrors[0].path, "pre-receive")
			key := gittest.LimitHung(t, f.mirrors[0].url)
			out, err := gittest.GitCombined(work, nil, "push", "origin", "main")
			if err != nil {
				t.Fatalf("push: %v\n%s", err, out)
			}
			wantGivenUp(t, out, "federate: mirror "+f.mirrors[0].url+": push failed: ssh "+gittest.SSHHostAlias, key)
			for _, r := range []repo{f.origin, f.mirrors[1]} {
				if got := gittest.RefOf(t, r.path, "main"); got != c {
					t.Errorf("main on %s = %s, want %s", r.url, got, c)
				}
			}
		})
	}
}

// wantGivenUp checks that out says the server (lead names it) was given
// up during the push, where it hangs, after its own limit
// (gittest.HangLimit), naming the limit's key.
func wantGivenUp(t *testing.T, out, lead, key string) {
	t.Helper()
	if want := lead + ": no data moved for " + gittest.HangLimit.String() + " during the push; gave up (the limit is " + key + ")"; !strings.Contains(out, want) {
		t.Errorf("push output does not say %q:\n%s", want, out)
	}
}

// A push whose ssh origin cannot be reached says why in ssh's words, on
// the one line that says nothing was pushed; git's generic "Could not
// read from remote repository." says nothing of why.
func TestSSHOriginDownPushSaysWhy(t *testing.T) {
	f := newSSHFixture(t)
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, "", "clone", "-q", "federate::app", work)
	gittest.Commit(t, work, "down.txt", "d\n", "while the origin is down")
	f.sshd.Stop()
	out, err := gittest.GitCombined(work, nil, "push", "origin", "main")
	if err == nil {
		t.Fatalf("push succeeded with the origin down:\n%s", out)
	}
	want := fmt.Sprintf("origin %s is unreachable (ssh: connect to host 127.0.0.1 port %d: Connection refused): nothing was pushed anywhere", f.origin.url, f.sshd.Port)
	if !strings.Contains(out, want) {
		t.Errorf("push output lacks %q:\n%s", want, out)
	}
}
