package gitexec

import (
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
	abs, err := filepath.Abs(dir)
	if err != nil {
		return true
	}
	// git walks up from getcwd(), the physical path, not the one the
	// shell shows through a symbolic link.
	phys, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return true
	}
	for d := phys; ; {
		for _, name := range [...]string{".git", "HEAD"} {
			if _, err := os.Lstat(filepath.Join(d, name)); !errors.Is(err, fs.ErrNotExist) {
				return true
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return false
		}
		d = parent
	}
}
