package fedcmd

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestBashCompletion drives _git_federate as git's bash completion calls
// it, with the variables bash sets, against the built binary on PATH.
func TestBashCompletion(t *testing.T) {
	gittest.Isolate(t)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to test its completion script")
	}
	dir := t.TempDir()
	gittest.Git(t, dir, "config", "--global", "federation.myproj.origin", "https://example.com/o.git")
	gittest.Git(t, dir, "config", "--global", "federation.myproj.mirror", "https://example.org/m.git")
	gittest.Git(t, dir, "config", "--global", "federation.other.origin", "git://example.net/x.git")
	script := runBinary(t, dir, "", "completion", "bash")
	if script.code != 0 {
		t.Fatalf("completion bash: exit %d: %s", script.code, script.err)
	}
	// complete runs the function on words (the last one being completed)
	// and returns COMPREPLY; withLine also sets COMP_LINE as bash does.
	complete := func(words []string, withLine bool) string {
		t.Helper()
		q := make([]string, len(words))
		for i, w := range words {
			q[i] = strconv.Quote(w)
		}
		sh := script.stdout + "\nCOMP_WORDS=(" + strings.Join(q, " ") + "); COMP_CWORD=" + strconv.Itoa(len(words)-1) + "\n"
		if withLine {
			line := strings.Join(words, " ")
			sh += "COMP_LINE=" + strconv.Quote(line) + "; COMP_POINT=" + strconv.Itoa(len(line)) + "\n"
		}
		sh += "_git_federate; echo \"${COMPREPLY[*]}\"\n"
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "--norc", "-c", sh)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for _, tc := range []struct {
		words []string
		line  bool
		want  string
	}{
		{[]string{"git", "federate", "imp"}, false, "import-gitblit"},
		{[]string{"git", "federate", "st"}, false, "status"},
		{[]string{"git", "federate", "add", "x", "--ori"}, false, "--origin"},
		{[]string{"git", "federate", "sync", "--j"}, false, "--jobs --json"},
		{[]string{"git", "federate", "sync", "--d"}, true, "--daemon --dry-run"},
		{[]string{"git", "federate", "status", ""}, false, "myproj other"},
		{[]string{"git", "federate", "sync", "--dry-run", "m"}, true, "myproj"},
		{[]string{"git", "federate", "add", "y", "--mirror", "https://example.o"}, true, "//example.org/m.git"},
		{[]string{"git", "federate", "login", ""}, true, "git://example.net/x.git https://example.com/o.git https://example.org/m.git"},
		{[]string{"git", "federate", "completion", ""}, false, "bash zsh"},
		{[]string{"git", "federate", "hook", ""}, false, "add list remove"},
		{[]string{"git", "federate", "hook", "add", "m"}, false, "myproj"},
	} {
		if got := complete(tc.words, tc.line); got != tc.want {
			t.Errorf("%q<TAB> = %q, want %q", strings.Join(tc.words, " "), got, tc.want)
		}
	}
	// "--" is the start of a flag being typed, not the end of options.
	if got := complete([]string{"git", "federate", "sync", "--"}, true); !strings.Contains(" "+got+" ", " --dry-run ") || !strings.Contains(got, "--all") {
		t.Errorf("git federate sync --<TAB> = %q, want sync's flags", got)
	}
	zsh := runBinary(t, dir, "", "completion", "zsh")
	if zsh.code != 0 || !strings.Contains(zsh.stdout, "compdef _git-federate git-federate") {
		t.Errorf("completion zsh: exit %d, %q", zsh.code, zsh.stdout)
	}
}
