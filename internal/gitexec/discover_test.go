package gitexec

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMayFindRepository holds MayFindRepository against git itself:
// wherever git finds a repository, it must say it may; where no
// directory up to the root holds .git or HEAD, it says it may not.
func TestMayFindRepository(t *testing.T) {
	root := t.TempDir()
	mkdir := func(parts ...string) string {
		d := filepath.Join(append([]string{root}, parts...)...)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	git := func(dir string, args ...string) error {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, WithoutRepoEnv(os.Environ())
		return cmd.Run()
	}
	plain := mkdir("plain", "deep")
	work := mkdir("work")
	if err := git(work, "init", "-q"); err != nil {
		t.Fatal(err)
	}
	bare := mkdir("bare.git")
	if err := git(bare, "init", "-q", "--bare"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mkdir("work", "sub"), filepath.Join(root, "plain", "link")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dir string
		want      bool
	}{
		{"a directory in no repository", plain, false},
		{"a work tree", work, true},
		{"a work tree's subdirectory", mkdir("work", "sub", "dir"), true},
		{"a work tree's .git", filepath.Join(work, ".git"), true},
		{"a bare repository", bare, true},
		{"a bare repository's refs", filepath.Join(bare, "refs", "heads"), true},
		{"a link into a work tree from outside", filepath.Join(root, "plain", "link"), true},
	}
	// A repository above the test's temporary directory would make git
	// find one everywhere: then only the repositories are checked.
	outside := git(plain, "rev-parse", "--git-dir") != nil
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			found := git(c.dir, "rev-parse", "--git-dir") == nil
			if found && !MayFindRepository(c.dir) {
				t.Fatalf("git finds a repository from %s, MayFindRepository says it cannot", c.dir)
			}
			if !c.want && !outside {
				t.Skip("a repository holds the temporary directory")
			}
			if got := MayFindRepository(c.dir); got != c.want {
				t.Fatalf("MayFindRepository(%s) = %v, want %v (git finds one: %v)", c.dir, got, c.want, found)
			}
		})
	}
}
