package fedsync

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// TestRepoLookup finds a repository's git dir as git says it, and runs
// no git at all where git could find none.
func TestRepoLookup(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	// A git that says each time it runs, then runs git.
	dir, err := filepath.EvalSymlinks(t.TempDir()) // git says the physical path
	if err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(dir, "runs")
	fake := filepath.Join(dir, "git")
	script := "#!/bin/sh\necho run >> '" + runs + "'\nexec '" + git + "' \"$@\"\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ran := func() int {
		b, _ := os.ReadFile(runs)
		return strings.Count(string(b), "run")
	}
	g := gitexec.Runner{Git: fake}

	work := filepath.Join(dir, "work")
	if out, err := exec.Command(git, "init", "-q", work).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	gitDir, common := StartRepoLookup(context.Background(), g, work).Wait()
	if want := filepath.Join(work, ".git"); gitDir != want || common != want {
		t.Fatalf("in a work tree: git dir %q, common dir %q; want %q for both", gitDir, common, want)
	}
	if ran() != 1 {
		t.Fatalf("in a work tree: git ran %d times, want once", ran())
	}

	plain := filepath.Join(dir, "plain")
	if err := os.Mkdir(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	if !gitexec.MayFindRepository(plain) {
		gitDir, common = StartRepoLookup(context.Background(), g, plain).Wait()
		if gitDir != "" || common != "" {
			t.Fatalf("outside a repository: git dir %q, common dir %q; want none", gitDir, common)
		}
		if ran() != 1 {
			t.Fatalf("outside a repository: git ran again")
		}
	}
}
