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

// TestRepoLookup finds a repository's git dir as git says it where a
// pending queue may be, and runs no git at all where git could find no
// repository, or where the repository it would find has no queue.
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
	// Nothing queued: the files say which git dir git would find, and
	// that no queue is there; git is not asked.
	l := StartRepoLookup(context.Background(), g, work)
	if gitDir, common := l.Wait(); gitDir != "" || common != "" || ran() != 0 {
		t.Fatalf("in a work tree with nothing queued: git dir %q, common dir %q, git ran %d times; want none, not run",
			gitDir, common, ran())
	}
	// A push queues an update meanwhile: git is asked then, once.
	queue := filepath.Join(work, ".git", "federate", "pending")
	if err := os.MkdirAll(filepath.Dir(queue), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(queue, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		gitDir, common := l.Wait()
		if want := filepath.Join(work, ".git"); gitDir != want || common != want {
			t.Fatalf("in a work tree with a queue: git dir %q, common dir %q; want %q for both", gitDir, common, want)
		}
	}
	if ran() != 1 {
		t.Fatalf("in a work tree with a queue: git ran %d times, want once", ran())
	}
	// Started where a queue is, git is asked at once.
	gitDir, common := StartRepoLookup(context.Background(), g, work).Wait()
	if want := filepath.Join(work, ".git"); gitDir != want || common != want || ran() != 2 {
		t.Fatalf("started with a queue: git dir %q, common dir %q, git ran %d times; want %q, run once more", gitDir, common, ran(), want)
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
		if ran() != 2 {
			t.Fatalf("outside a repository: git ran again")
		}
	}
}
