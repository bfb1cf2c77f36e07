package gittest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Isolate points every git config scope, HOME and XDG dirs of the test at
// temporary places, clears token variables, and turns the keyring and
// prompts off, so nothing of the user's machine leaks in or is touched.
// It returns the temporary HOME.
func Isolate(t testing.TB) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, ".gitconfig"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_TERMINAL_PROMPT", "0")
	t.Setenv("GIT_AUTHOR_NAME", "Test Author")
	t.Setenv("GIT_AUTHOR_EMAIL", "author@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "Test Committer")
	t.Setenv("GIT_COMMITTER_EMAIL", "committer@example.com")
	t.Setenv("FEDERATE_KEYRING", "off")
	// Messages in English, whatever the machine's language; a test of
	// another language sets it for the command it runs.
	for _, k := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "FEDERATE_LANGUAGE"} {
		t.Setenv(k, "")
	}
	t.Setenv("LANG", "C")
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "FEDERATE_TOKEN_") || strings.HasPrefix(k, "GIT_CONFIG_") && k != "GIT_CONFIG_GLOBAL" && k != "GIT_CONFIG_NOSYSTEM" ||
			k == "GH_TOKEN" || k == "GITHUB_TOKEN" || k == "GITLAB_TOKEN" || k == "GITEE_TOKEN" || k == "GIT_DIR" || k == "GIT_WORK_TREE" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	Git(t, "", "config", "--global", "init.defaultBranch", "main")
	Git(t, "", "config", "--global", "protocol.federate.allow", "always")
	return home
}

// Git runs git in dir and returns its trimmed stdout; it fails the test,
// showing stderr, when git fails.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := GitErr(dir, nil, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// GitErr runs git in dir with extra env and returns trimmed stdout, or an
// error carrying stderr. It is bounded by two minutes.
func GitErr(dir string, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return strings.TrimSpace(stdout.String()), fmt.Errorf("%w\nstderr:\n%s", err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// GitCombined runs git in dir with extra env and returns stdout and
// stderr together, and the error (nil on success).
func GitCombined(dir string, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Commit writes file in the work tree dir, commits it and returns the
// new commit id.
func Commit(t testing.TB, dir, file, content, msg string) string {
	t.Helper()
	p := filepath.Join(dir, file)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	Git(t, dir, "add", file)
	Git(t, dir, "commit", "-q", "-m", msg)
	return Git(t, dir, "rev-parse", "HEAD")
}

// NewWorkRepo makes a non-bare repository with one commit on main and
// returns its path.
func NewWorkRepo(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	Git(t, dir, "init", "-q", "-b", "main")
	Commit(t, dir, "README", "hello\n", "initial")
	return dir
}

// Seed pushes the refs of the work repository dir to every URL, the way a
// project looks before it is federated.
func Seed(t testing.TB, dir string, urls ...string) {
	t.Helper()
	for _, u := range urls {
		Git(t, dir, "push", "-q", u, "--all")
		Git(t, dir, "push", "-q", u, "--tags")
	}
}

// RefOf returns the value of ref in the (bare) repository at path, or ""
// when it does not exist.
func RefOf(t testing.TB, path, ref string) string {
	t.Helper()
	out, err := GitErr(path, nil, "rev-parse", "--verify", "-q", ref)
	if err != nil {
		return ""
	}
	return out
}

// WaitFor polls cond until it holds; the test fails after a minute. Wait
// on something observable from outside (a request logged, a ref moved),
// never a fixed time.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
