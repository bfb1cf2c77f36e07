package gitexec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindGitDirIsGits holds FindGitDir against git itself: where it is
// sure, it names the git directory `git rev-parse --absolute-git-dir`
// names, or none where git finds none; where git's own checks would be
// needed, it is not sure. MayFindRepository says git may find one
// wherever git does.
func TestFindGitDirIsGits(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mkdir := func(parts ...string) string {
		d := filepath.Join(append([]string{root}, parts...)...)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	git := func(dir string, args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, WithoutRepoEnv(os.Environ())
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	must := func(dir string, args ...string) {
		if out, err := git(dir, args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	plain := mkdir("plain", "deep")
	work := mkdir("work")
	must(work, "init", "-q")
	must(work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "one")
	detached := mkdir("detached")
	must(detached, "init", "-q")
	must(detached, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "one")
	must(detached, "checkout", "-q", "--detach")
	bare := mkdir("bare.git")
	must(bare, "init", "-q", "--bare")
	must(work, "worktree", "add", "-q", filepath.Join(root, "tree"))
	if err := os.Symlink(mkdir("work", "sub"), filepath.Join(root, "plain", "link")); err != nil {
		t.Fatal(err)
	}
	notRepo := mkdir("notrepo", "inside")
	if err := os.WriteFile(filepath.Join(root, "notrepo", "HEAD"), []byte("not a ref\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dir string
		sure      bool
	}{
		{"a directory in no repository", plain, true},
		{"a work tree", work, true},
		{"a work tree's subdirectory", mkdir("work", "sub", "dir"), true},
		{"a work tree's .git", filepath.Join(work, ".git"), true},
		{"a detached HEAD", detached, true},
		{"a bare repository", bare, true},
		{"a bare repository's refs", filepath.Join(bare, "refs", "heads"), true},
		{"a link into a work tree from outside", filepath.Join(root, "plain", "link"), true},
		{"a worktree: a .git file", filepath.Join(root, "tree"), false},
		{"below a HEAD that is no repository's", notRepo, false},
	}
	outside, err := git(plain, "rev-parse", "--git-dir")
	if err == nil {
		t.Fatalf("a repository (%s) holds the temporary directory: set TMPDIR outside any repository", outside)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, err := git(c.dir, "rev-parse", "--absolute-git-dir")
			if err != nil {
				want = ""
			}
			got, sure := FindGitDir(c.dir)
			if sure != c.sure {
				t.Fatalf("FindGitDir(%s) = %q, sure %v; want sure %v (git: %q)", c.dir, got, sure, c.sure, want)
			}
			if sure && got != want {
				t.Fatalf("FindGitDir(%s) = %q; git finds %q", c.dir, got, want)
			}
			if !sure && got != "" {
				t.Fatalf("FindGitDir(%s) = %q without being sure", c.dir, got)
			}
			if may := MayFindRepository(c.dir); may != (want != "" || !sure) {
				t.Fatalf("MayFindRepository(%s) = %v; git finds %q", c.dir, may, want)
			}
		})
	}
}
