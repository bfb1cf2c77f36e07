package gitexec

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// envMap resolves env the way exec does: the last value of a key wins.
func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func TestWithCredentialCallbackFreshEnv(t *testing.T) {
	env := WithCredentialCallback([]string{"PATH=/bin", "HOME=/h"}, "/opt/bin/git-federate")
	m := envMap(env)
	want := map[string]string{
		"PATH":                  "/bin",
		"HOME":                  "/h",
		"GIT_CONFIG_PARAMETERS": `'credential.helper=' 'credential.helper=!'\''/opt/bin/git-federate'\'' ` + CallbackArg + `'`,
		"GIT_TERMINAL_PROMPT":   "0",
		BaseConfigParametersEnv: "",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if len(m) != len(want) {
		t.Errorf("env has %d keys, want %d: %q", len(m), len(want), env)
	}
}

// TestWithCredentialCallbackAppends checks that a user's own config
// entries stay and ours come after them, and that applying it twice
// leaves one set of ours.
func TestWithCredentialCallbackAppends(t *testing.T) {
	in := []string{
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=http.sslVerify", "GIT_CONFIG_VALUE_0=false",
		"GIT_CONFIG_PARAMETERS='credential.helper'='store'",
		"GIT_TERMINAL_PROMPT=1",
	}
	orig := slices.Clone(in)
	env := WithCredentialCallback(WithCredentialCallback(in, "/x/y"), "/x/y")
	if !slices.Equal(in, orig) {
		t.Errorf("the caller's env was modified: %q", in)
	}
	m := envMap(env)
	if m["GIT_CONFIG_COUNT"] != "1" || m["GIT_CONFIG_VALUE_0"] != "false" {
		t.Errorf("user's entries changed: %q", env)
	}
	want := `'credential.helper'='store' 'credential.helper=' 'credential.helper=!'\''/x/y'\'' ` + CallbackArg + `'`
	if m["GIT_CONFIG_PARAMETERS"] != want {
		t.Errorf("GIT_CONFIG_PARAMETERS = %s, want %s", m["GIT_CONFIG_PARAMETERS"], want)
	}
	if m["GIT_TERMINAL_PROMPT"] != "0" {
		t.Errorf("GIT_TERMINAL_PROMPT = %s", m["GIT_TERMINAL_PROMPT"])
	}
	back := envMap(WithoutCredentialCallback(env))
	if back["GIT_CONFIG_PARAMETERS"] != "'credential.helper'='store'" {
		t.Errorf("WithoutCredentialCallback: parameters = %q", back["GIT_CONFIG_PARAMETERS"])
	}
	if _, ok := back[BaseConfigParametersEnv]; ok {
		t.Errorf("WithoutCredentialCallback left %s", BaseConfigParametersEnv)
	}
}

func TestWithoutCredentialCallback(t *testing.T) {
	env := WithCredentialCallback([]string{"HOME=/h"}, "/x")
	back := envMap(WithoutCredentialCallback(env))
	if _, ok := back["GIT_CONFIG_PARAMETERS"]; ok {
		t.Errorf("parameters left set: %q", back["GIT_CONFIG_PARAMETERS"])
	}
	if _, ok := back[BaseConfigParametersEnv]; ok {
		t.Error("base parameters left set")
	}
	plain := []string{"HOME=/h", "GIT_CONFIG_PARAMETERS='a.b=c'"}
	if got := WithoutCredentialCallback(plain); !slices.Equal(got, plain) {
		t.Errorf("env without the callback changed: %q", got)
	}
}

// TestCredentialCallbackRealGit checks with git itself that the callback
// is the only credential helper a child sees, with the user's store
// helper reset, from a config file and from `git -c` alike, and that the
// program path with a quote survives.
func TestCredentialCallbackRealGit(t *testing.T) {
	gittest.Isolate(t)
	gittest.Git(t, "", "config", "--global", "credential.helper", "store")
	exe := filepath.Join(t.TempDir(), "it's here", "git-federate")
	t.Setenv("GIT_CONFIG_PARAMETERS", "'credential.helper'='cache'")
	env := WithCredentialCallback(os.Environ(), exe)
	r := Runner{Env: env, Timeout: time.Minute}
	out, err := r.Output(context.Background(), "config", "--get-all", "credential.helper")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{"store", "cache", "", "!" + ShellQuote(exe) + " " + CallbackArg}
	if !slices.Equal(lines, want) {
		t.Errorf("credential.helper list = %q, want %q (git resets at the empty one)", lines, want)
	}
	// The shell git uses must give the helper back its path intact.
	sh := exec.Command("sh", "-c", "printf %s "+ShellQuote(exe))
	if got, err := sh.Output(); err != nil || string(got) != exe {
		t.Errorf("sh read %s as %q, %v", ShellQuote(exe), got, err)
	}
}

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"":                 "''",
		"/usr/bin/x":       "'/usr/bin/x'",
		"it's":             `'it'\''s'`,
		"a b $HOME `x` \\": "'a b $HOME `x` \\'",
		"''":               `''\'''\'''`,
	}
	for in, want := range tests {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
		out, err := exec.Command("sh", "-c", "printf %s "+ShellQuote(in)).Output()
		if err != nil || string(out) != in {
			t.Errorf("sh gave %q back for %q (%v)", out, in, err)
		}
	}
}

// TestErrorNeverShowsArgs runs git commands that fail with a URL and a
// secret-looking value in argv, and checks the error names only the
// subcommand and git's stderr.
func TestErrorNeverShowsArgs(t *testing.T) {
	gittest.Isolate(t)
	r := Runner{Dir: t.TempDir(), Timeout: time.Minute}
	err := r.Run(context.Background(), "ls-remote", "--", "/nonexistent/ARGSECRET/repo")
	var ge *Error
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if ge.Subcommand != "ls-remote" || ge.ExitCode == 0 {
		t.Errorf("Error = %+v", ge)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "git ls-remote failed (exit ") {
		t.Errorf("message = %q", msg)
	}
	// git itself names the path in stderr; what we add must not.
	stripped := strings.ReplaceAll(msg, ge.Stderr, "")
	if strings.Contains(stripped, "ARGSECRET") || strings.Contains(stripped, "--") {
		t.Errorf("message shows arguments: %q", msg)
	}

	err = r.Run(context.Background(), "config", "--get", "no.such.KEYSECRET")
	if err == nil || strings.Contains(err.Error(), "KEYSECRET") {
		t.Errorf("err = %v: want a failure that does not show the argument", err)
	}
}

func TestErrorTimeout(t *testing.T) {
	gittest.Isolate(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Runner{}.Run(ctx, "version")
	var ge *Error
	if !errors.As(err, &ge) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want *Error wrapping context.Canceled", err)
	}
	e := &Error{Subcommand: "fetch", Err: context.DeadlineExceeded, Stderr: "x"}
	if e.Error() != "git fetch timed out: x" {
		t.Errorf("timeout message = %q", e.Error())
	}
}

func TestRunnerNeverInheritsStdout(t *testing.T) {
	gittest.Isolate(t)
	cmd := Runner{}.Command(context.Background(), "version")
	if cmd.Stdout != nil {
		t.Errorf("Command's stdout = %v, want nil (discarded)", cmd.Stdout)
	}
	out, err := Runner{Timeout: time.Minute}.Output(context.Background(), "version")
	if err != nil || !strings.HasPrefix(string(out), "git version ") {
		t.Errorf("Output = %q, %v", out, err)
	}
}

func TestStderrTailIsBounded(t *testing.T) {
	tb := &tailBuffer{max: 8}
	tb.Write([]byte("0123456789"))
	tb.Write([]byte("abc"))
	if got := tb.String(); got != "56789abc" {
		t.Errorf("tail = %q, want the last 8 bytes", got)
	}
}
