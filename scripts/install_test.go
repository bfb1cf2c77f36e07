// Package scripts holds tests of the repository's shell scripts
// (install.sh); it has no Go code of its own.
package scripts

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

var installed = []string{"git-remote-federate", "git-federate", "git-credential-federate"}

// isolate is gittest.Isolate that keeps Go's own directories: Isolate
// moves HOME and the XDG dirs, and then a cold build cache would make every
// install rebuild everything (and fetch modules), and the go command's
// telemetry, which writes under the config dir from a child that can
// outlive it, would race the removal of the test's temporary HOME.
func isolate(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	vals := strings.Split(strings.TrimSpace(string(out)), "\n")
	configDir, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	root, err := gittest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	home := gittest.Isolate(t)
	for i, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		if i < len(vals) {
			t.Setenv(k, vals[i])
		}
	}
	// git reads GIT_CONFIG_GLOBAL (set by Isolate), not the XDG file.
	t.Setenv("XDG_CONFIG_HOME", configDir)
	t.Setenv("FEDERATE_TEST_ROOT", root)
	return home
}

// runInstall runs install.sh with args and PATH, and returns its combined
// output and exit code.
func runInstall(t *testing.T, path string, args ...string) (string, int) {
	t.Helper()
	root := os.Getenv("FEDERATE_TEST_ROOT")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "install.sh"), args...)
	cmd.Dir = t.TempDir() // it must not depend on where it is run from
	cmd.Env = append(os.Environ(), "PATH="+path)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	return string(out), code
}

// TestInstall installs into a fresh prefix twice, as a user upgrading
// would, and checks that git finds the installed commands.
func TestInstall(t *testing.T) {
	isolate(t)
	prefix := filepath.Join(t.TempDir(), "bin")
	path := os.Getenv("PATH")

	out, code := runInstall(t, path, "--prefix", prefix)
	if code != 0 {
		t.Fatalf("install.sh exited %d:\n%s", code, out)
	}
	for _, n := range installed {
		fi, err := os.Stat(filepath.Join(prefix, n))
		if err != nil || fi.Mode().Perm()&0o111 == 0 {
			t.Fatalf("%s not installed as an executable: %v", n, err)
		}
	}
	for _, want := range []string{"not on your PATH", "export PATH=\"" + prefix, "git federate demo",
		"git config --global protocol.federate.allow always"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Again, now with the prefix on PATH: it replaces the binaries and
	// stops telling the user to change PATH.
	out, code = runInstall(t, prefix+":"+path, "--prefix="+prefix)
	if code != 0 {
		t.Fatalf("second install.sh exited %d:\n%s", code, out)
	}
	if strings.Contains(out, "not on your PATH") {
		t.Errorf("second run still says the prefix is not on PATH:\n%s", out)
	}
	entries, err := os.ReadDir(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(installed) {
		t.Errorf("prefix holds %d entries after two runs, want %d (no leftovers)", len(entries), len(installed))
	}

	// git finds each name on PATH.
	t.Setenv("PATH", prefix+":"+path)
	if out, err := exec.Command("git", "federate", "help").CombinedOutput(); err != nil {
		t.Errorf("git federate help: %v\n%s", err, out)
	}
	if out, err := exec.Command("git", "credential-federate").CombinedOutput(); err == nil || !strings.Contains(string(out), "usage") {
		t.Errorf("git credential-federate without an operation: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("git-remote-federate"); err != nil {
		t.Error(err)
	}
}

// TestInstallDefaultPrefix checks the default, ~/.local/bin.
func TestInstallDefaultPrefix(t *testing.T) {
	home := isolate(t)
	out, code := runInstall(t, os.Getenv("PATH"))
	if code != 0 {
		t.Fatalf("install.sh exited %d:\n%s", code, out)
	}
	for _, n := range installed {
		if _, err := os.Stat(filepath.Join(home, ".local", "bin", n)); err != nil {
			t.Error(err)
		}
	}
}

func TestInstallUsage(t *testing.T) {
	isolate(t)
	out, code := runInstall(t, os.Getenv("PATH"), "--help")
	if code != 0 || !strings.Contains(out, "Usage: ./install.sh [--prefix DIR]") {
		t.Errorf("--help: exit %d:\n%s", code, out)
	}
	for _, args := range [][]string{{"--bogus"}, {"--prefix"}, {"--prefix="}} {
		if out, code := runInstall(t, os.Getenv("PATH"), args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage):\n%s", args, code, out)
		}
	}
}

// TestInstallChecksGit puts a fake old git first on PATH.
func TestInstallChecksGit(t *testing.T) {
	isolate(t)
	fake := t.TempDir()
	script := "#!/bin/sh\necho 'git version 2.30.9'\n"
	if err := os.WriteFile(filepath.Join(fake, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(t.TempDir(), "bin")
	out, code := runInstall(t, fake+":"+os.Getenv("PATH"), "--prefix", prefix)
	if code != 1 || !strings.Contains(out, "git 2.30.9 is too old") || !strings.Contains(out, "2.39") {
		t.Errorf("old git: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(prefix); err == nil {
		t.Error("install.sh created the prefix before failing its checks")
	}
}

// TestInstallChecksGo runs with a PATH of only the tools install.sh
// needs, git among them, and no go.
func TestInstallChecksGo(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	for _, tool := range []string{"bash", "env", "git", "sed", "sort", "head", "mktemp", "rm", "dirname", "mkdir", "cp", "chmod", "mv"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	out, code := runInstall(t, dir)
	if code != 1 || !strings.Contains(out, "Go is not installed") {
		t.Errorf("no go: exit %d:\n%s", code, out)
	}
}
