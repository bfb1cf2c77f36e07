package gitexec

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// MayFindRepository reports whether git, started in dir with none of
// the repository variables set (WithoutRepoEnv), could find a
// repository there. It is false only when no directory from dir's real
// path up to the root holds a ".git" or a "HEAD": git's discovery finds
// a work tree by its ".git" and a bare repository by its HEAD
// (setup.c, is_git_directory), so without either it can only say "not
// a git repository", and the caller can skip the process that would
// say so. A path that cannot be read answers true: git decides then.
func MayFindRepository(dir string) bool {
	gitDir, sure := FindGitDir(dir)
	return gitDir != "" || !sure
}

// FindGitDir is the git directory git, started in dir with none of the
// repository variables set, would find, when the files alone tell it:
// walking up from dir's real path, the first directory that holds a
// ".git" directory or is itself a git directory, as setup.c's discovery
// walks. sure is false wherever only git can tell: a ".git" file (a
// worktree's or a submodule's), a directory with a HEAD that is not
// plainly a repository's (is_git_directory's HEAD, objects and refs, no
// commondir), a path that cannot be read. "" and sure: no repository.
func FindGitDir(dir string) (gitDir string, sure bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	// git walks up from getcwd(), the physical path, not the one the
	// shell shows through a symbolic link.
	d, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", false
	}
	for {
		// git looks at ".git" first, then at the directory itself.
		for _, candidate := range [...]string{filepath.Join(d, ".git"), d} {
			probe := candidate
			if candidate == d {
				probe = filepath.Join(d, "HEAD")
			}
			if _, err := os.Lstat(probe); errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if plainGitDir(candidate) {
				return candidate, true
			}
			return "", false
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", true
		}
		d = parent
	}
}

// plainGitDir reports whether dir is a git directory on its own: a
// directory with a HEAD file naming a ref under refs/ or an object, and
// objects and refs directories; a worktree's (commondir) is not.
func plainGitDir(dir string) bool {
	for _, sub := range [...]string{"objects", "refs"} {
		if fi, err := os.Lstat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "commondir")); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if fi, err := os.Lstat(filepath.Join(dir, "HEAD")); err != nil || !fi.Mode().IsRegular() || fi.Size() > 4096 {
		return false
	}
	head, err := os.ReadFile(filepath.Join(dir, "HEAD"))
	if err != nil {
		return false
	}
	head = bytes.TrimRight(head, "\n")
	if bytes.HasPrefix(head, []byte("ref: refs/")) {
		return true
	}
	return (len(head) == 40 || len(head) == 64) && len(bytes.Trim(head, "0123456789abcdef")) == 0
}
