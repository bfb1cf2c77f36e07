// Package scripts holds tests of the repository's shell scripts
// (install.sh, gitsuite); it has no Go code of its own.
package scripts

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
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

// checkNoDocWriters fails t if the program at path links urfave/cli's
// Markdown and roff writers, whose packages' initialisation every
// process would pay at its start (install.sh's urfave_cli_no_docs).
func checkNoDocWriters(t *testing.T, path string) {
	t.Helper()
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, d := range info.Deps {
		if strings.Contains(d.Path, "md2man") || strings.Contains(d.Path, "blackfriday") {
			t.Errorf("%s links %s: built without urfave_cli_no_docs", filepath.Base(path), d.Path)
		}
	}
}

// TestInstall installs into a fresh prefix twice, as a user upgrading
// would, and checks the GNU layout and that git finds the commands, the
// manual and the completion.
func TestInstall(t *testing.T) {
	isolate(t)
	prefix := filepath.Join(t.TempDir(), "usr")
	bin := filepath.Join(prefix, "bin")
	path := os.Getenv("PATH")

	out, code := runInstall(t, path, "--prefix", prefix)
	if code != 0 {
		t.Fatalf("install.sh exited %d:\n%s", code, out)
	}
	for _, n := range installed {
		fi, err := os.Stat(filepath.Join(bin, n))
		if err != nil || fi.Mode().Perm()&0o111 == 0 {
			t.Fatalf("%s not installed as an executable: %v", n, err)
		}
		// As scripts/release builds it: no dynamic loader to start.
		f, err := elf.Open(filepath.Join(bin, n))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if f.Section(".interp") != nil {
			t.Errorf("%s is linked dynamically (a cgo build)", n)
		}
		f.Close()
		checkNoDocWriters(t, filepath.Join(bin, n))
	}
	for _, f := range []string{
		"share/man/man1/git-federate.1",
		"share/man/man1/git-remote-federate.1",
		"share/bash-completion/completions/git-federate",
		"share/zsh/site-functions/_git-federate",
	} {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	for _, want := range []string{"not on your PATH", "export PATH=\"" + bin, "git federate demo",
		"git config --global protocol.federate.allow always"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Again, now with the bin directory on PATH: it replaces the files
	// and stops telling the user to change PATH.
	out, code = runInstall(t, bin+":"+path, "--prefix="+prefix)
	if code != 0 {
		t.Fatalf("second install.sh exited %d:\n%s", code, out)
	}
	if strings.Contains(out, "not on your PATH") {
		t.Errorf("second run still says the prefix is not on PATH:\n%s", out)
	}
	for dir, want := range map[string]int{"bin": len(installed), "share/man/man1": 2} {
		entries, err := os.ReadDir(filepath.Join(prefix, dir))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != want {
			t.Errorf("%s holds %d entries after two runs, want %d (no leftovers)", dir, len(entries), want)
		}
	}

	t.Setenv("PATH", bin+":"+path)
	t.Setenv("MANPATH", filepath.Join(prefix, "share", "man"))
	t.Setenv("MANPAGER", "cat")
	t.Setenv("PAGER", "cat")
	t.Setenv("MANWIDTH", "200")
	checkInstalledCommands(t)
	checkInstalledCompletion(t, filepath.Join(prefix, "share/bash-completion/completions/git-federate"))
}

// gitOut runs git with args and returns its output; it must succeed.
func gitOut(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", args...).CombinedOutput()
	if err != nil {
		t.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checkInstalledCommands checks what a user types after installing.
func checkInstalledCommands(t *testing.T) {
	t.Helper()
	for _, args := range [][]string{{"federate", "--help"}, {"help", "federate"}} {
		if out := gitOut(t, args...); !strings.Contains(out, "git-federate - one git remote for a whole federation") ||
			!strings.Contains(out, "EXIT STATUS") {
			t.Errorf("git %s does not show the manual:\n%s", strings.Join(args, " "), out)
		}
	}
	if out := gitOut(t, "help", "-m", "remote-federate"); !strings.Contains(out, "federate::<origin-url>") {
		t.Errorf("git help -m remote-federate:\n%s", out)
	}
	if out := gitOut(t, "federate", "status", "--help"); !strings.Contains(out, "--exit-code") {
		t.Errorf("git federate status --help:\n%s", out)
	}
	root := os.Getenv("FEDERATE_TEST_ROOT")
	describe, err := exec.Command("git", "-C", root, "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		t.Fatalf("git describe: %v", err)
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse: %v", err)
	}
	if out := gitOut(t, "federate", "version"); !strings.Contains(out, "git-federate version "+strings.TrimSpace(string(describe))+"\n") ||
		!strings.Contains(out, "\ncommit: "+strings.TrimSpace(string(head))+"\n") {
		t.Errorf("git federate version does not carry the build's version %q and commit %s:\n%s", describe, head, out)
	}
	if out, err := exec.Command("git", "credential-federate").CombinedOutput(); err == nil || !strings.Contains(string(out), "usage") {
		t.Errorf("git credential-federate without an operation: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("git-remote-federate"); err != nil {
		t.Error(err)
	}
}

// checkInstalledCompletion loads the installed bash completion file as
// bash-completion would and completes `git federate sta`.
func checkInstalledCompletion(t *testing.T, file string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sh := `source "$1"; COMP_WORDS=(git federate sta); COMP_CWORD=2; _git_federate; echo "${COMPREPLY[*]}"`
	out, err := exec.CommandContext(ctx, "bash", "--norc", "-c", sh, "bash", file).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "status" {
		t.Errorf("git federate sta<TAB> with the installed completion = %q, %v; want status", out, err)
	}
}

// TestInstallDefaultPrefix checks the default prefix, ~/.local.
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
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "man", "man1", "git-federate.1")); err != nil {
		t.Error(err)
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
