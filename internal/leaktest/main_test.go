// Package leaktest runs the real binaries against real servers and a real
// keyring and fails when a token, or its base64 in a Basic header, shows
// up anywhere a user or another process could read it.
package leaktest

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// bus is the private Secret Service of the keyring tests, started once:
// its address must be in place before anything talks to D-Bus.
var bus struct {
	b   *gittest.Bus
	err error
}

func TestMain(m *testing.M) {
	bus.b, bus.err = gittest.StartSecretService()
	code := gittest.Main(m)
	if bus.b != nil {
		bus.b.Stop()
	}
	os.Exit(code)
}

// token is distinctive, so any copy of it is found.
const token = "tok-LEAK-5f3a9c1e7b2d4068aa11"

// forms are the ways token could leak: itself, and base64 of user:token
// for each username a forge is sent, and of the token alone.
func forms(tok string) []string {
	out := []string{tok, base64.StdEncoding.EncodeToString([]byte(tok))}
	for _, u := range []string{keystore.DefaultUsername, "oauth2", "alice", ""} {
		out = append(out, gittest.BasicAuthHeader(u, tok))
	}
	return out
}

// assertClean fails when s holds token in any form.
func assertClean(t *testing.T, where, s string, tok string) {
	t.Helper()
	for _, f := range forms(tok) {
		if strings.Contains(s, f) {
			t.Errorf("token leaked into %s (as %q)", where, f)
		}
	}
}

// fixture is a server requiring token and a federation "fed" on it.
type fixture struct {
	srv  *gittest.Server
	url  string // origin URL
	home string
}

func newFixture(t *testing.T, auth gittest.Auth) fixture {
	home := gittest.Isolate(t)
	if auth.Token == "" {
		auth.Token = token
	}
	s := gittest.NewServer(t, auth)
	url := s.InitBare(t, "app.git")
	work := gittest.NewWorkRepo(t)
	gittest.Seed(t, work, s.Path("app.git"))
	gittest.Git(t, "", "config", "--global", "federation.fed.origin", url)
	return fixture{srv: s, url: url, home: home}
}

// hostVar is the FEDERATE_TOKEN_<HOST> variable of the fixture's server.
func (f fixture) hostVar() string {
	return keystore.EnvName(strings.TrimPrefix(f.srv.URL, "http://"))
}

// run runs a command with stdin and extra env, bounded by two minutes,
// and returns its combined output.
func run(t *testing.T, dir, stdin string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// execWatch runs commands under strace, which records the command line
// of every program they start, theirs and their children's, however
// short-lived: a poll of /proc could miss a helper that lives 20 ms, and
// then either pass without having looked or fail for nothing.
type execWatch struct {
	logs []string
}

func watchExec(t *testing.T) *execWatch {
	t.Helper()
	if _, err := exec.LookPath("strace"); err != nil {
		t.Fatalf("strace is not installed (scripts/test installs it): %v", err)
	}
	return &execWatch{}
}

// run is the package's run, under strace -f: every execve's arguments
// are logged, and no environment (where the tests' own tokens are).
func (w *execWatch) run(t *testing.T, dir, stdin string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "execve.log")
	w.logs = append(w.logs, log)
	trace := []string{"-f", "-qq", "--seccomp-bpf", "-e", "trace=execve", "-e", "signal=none", "-s", "65536", "-o", log, "--", name}
	return run(t, dir, stdin, env, "strace", append(trace, args...)...)
}

// finish fails when tok, in any form, is in the command line of a
// program the commands started; it also fails when no program matching
// each of want ran, so that a watch that saw nothing cannot pass.
func (w *execWatch) finish(t *testing.T, tok string, want ...string) {
	t.Helper()
	lines := w.commandLines(t)
	for _, line := range lines {
		for _, f := range forms(tok) {
			if strings.Contains(line, f) {
				t.Errorf("token in a command line: %s", line)
			}
		}
	}
	for _, s := range want {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, s) }) {
			t.Errorf("no program matching %q ran (strace saw %d)", s, len(lines))
		}
	}
}

// commandLines are the arguments of every execve strace logged, each
// joined by spaces: `execve("/usr/bin/git", ["git", "ls-remote"], …)`
// is "git ls-remote".
func (w *execWatch) commandLines(t *testing.T) []string {
	t.Helper()
	var lines []string
	for _, log := range w.logs {
		for _, l := range strings.Split(fileText(t, log), "\n") {
			_, rest, ok := strings.Cut(l, "execve(")
			if !ok {
				continue
			}
			_, argv, ok1 := strings.Cut(rest, ", [")
			argv, _, ok2 := strings.Cut(argv, "], ")
			if (!ok1 || !ok2) && strings.HasSuffix(l, "<detached ...>") {
				// A process gone (killed, its context cancelled) as it
				// entered execve: strace could not read its memory, and
				// no program started with those arguments.
				continue
			}
			if !ok1 || !ok2 {
				t.Fatalf("strace logged an execve this test cannot read: %s", l)
			}
			lines = append(lines, strings.Trim(strings.ReplaceAll(argv, `", "`, " "), `"`))
		}
	}
	return lines
}

func fileText(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func withKeyring(t *testing.T) {
	t.Helper()
	if bus.err != nil {
		t.Fatalf("no Secret Service for the keyring tests: %v", bus.err)
	}
	for _, kv := range bus.b.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("FEDERATE_KEYRING", "")
}

func keyringLookup(t *testing.T, hostURL string) string {
	t.Helper()
	out, _ := run(t, "", "", nil, "secret-tool", "lookup", "service", keystore.KeyringService, "username", hostURL)
	return out
}

// The watch sees the command line of a grandchild that lives a few
// microseconds, which a poll of /proc would miss.
func TestExecWatchSeesEveryCommandLine(t *testing.T) {
	w := watchExec(t)
	arg := "argument-" + token
	if out, err := w.run(t, "", "", nil, "sh", "-c", `/bin/echo "$0" >/dev/null`, arg); err != nil {
		t.Fatalf("sh: %v\n%s", err, out)
	}
	lines := w.commandLines(t)
	if !slices.Contains(lines, "/bin/echo "+arg) {
		t.Fatalf("the watch did not see /bin/echo's command line; it saw %q", lines)
	}
}
