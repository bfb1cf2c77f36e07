// Package lockfile is the one inter-process lock of this program: an
// exclusive lock on a file that the operating system drops when the
// holder exits, even by SIGKILL, so a killed run never leaves a lock for
// the next one to clean up. It also creates the private directories and
// files that locks and caches live in without following symlinks: a
// symlink planted there must not redirect a write to another file.
package lockfile

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// ErrBusy is matched by the error of Acquire when another process held
// the lock for the whole wait.
var ErrBusy = i18n.Errorf("lock held by another process")

// BusyError says who holds a lock that could not be taken.
type BusyError struct {
	Path string
	// Holder is the pid the holder wrote into the file, "?" if unknown.
	Holder string
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s is locked by another process (pid %s)", e.Path, e.Holder)
}

// Is makes a BusyError match ErrBusy.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// maxPoll is the longest pause between two attempts to take a lock.
const maxPoll = 50 * time.Millisecond

// Lock is a held lock.
type Lock struct{ f *os.File }

// Acquire takes the exclusive lock on path (created 0600 if missing; a
// symlink is refused), waiting up to wait (0: not at all) or until ctx
// ends. notify, when set, is called once if it has to wait, with the
// holder's pid.
func Acquire(ctx context.Context, path string, wait time.Duration, notify func(holder string)) (*Lock, error) {
	f, err := OpenPrivate(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, i18n.Errorf("opening lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for pause := time.Millisecond; ; pause = min(2*pause, maxPoll) {
		busy, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, i18n.Errorf("locking %s: %w", path, err)
		}
		if !busy {
			break
		}
		if !time.Now().Before(deadline) {
			f.Close()
			return nil, &BusyError{Path: path, Holder: Holder(path)}
		}
		if notify != nil {
			notify(Holder(path))
			notify = nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, i18n.Errorf("waiting for the lock %s: %w", path, ctx.Err())
		case <-time.After(min(pause, time.Until(deadline))):
		}
	}
	// Record the holder for the message of whoever waits next.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release drops the lock.
func (l *Lock) Release() {
	unlock(l.f)
	l.f.Close()
}

// Holder is the pid the holder of the lock at path wrote, "?" if unknown.
func Holder(path string) string {
	f, err := OpenPrivate(path, os.O_RDONLY)
	if err != nil {
		return "?"
	}
	defer f.Close()
	b := make([]byte, 32)
	n, _ := f.Read(b)
	if s := strings.TrimSpace(string(b[:n])); s != "" {
		return s
	}
	return "?"
}

// MkdirPrivate creates dir and its missing parents with mode 0700, and
// refuses a dir that is a symlink. A dir that exists open to others (an
// earlier version made $GIT_DIR/federate 0755) is closed to them.
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return i18n.Errorf("creating %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return i18n.Errorf("creating %s: %w", dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return i18n.Errorf("%s is a symlink: %w", dir, ErrSymlink)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		// Best effort: a directory someone else owns still works, as
		// it did before.
		_ = os.Chmod(dir, fi.Mode().Perm()&0o700)
	}
	return nil
}

// ErrSymlink is matched by errors about a path that is a symlink where a
// private file or directory must be.
var ErrSymlink = i18n.Errorf("refusing to follow a symlink")

// OpenPrivate opens path with flag without following a symlink at its
// last element; a file it creates has mode 0600.
func OpenPrivate(path string, flag int) (*os.File, error) {
	f, err := openNoFollow(path, flag, 0o600)
	if err != nil && isSymlink(path) {
		return nil, i18n.Errorf("%s is a symlink: %w", path, ErrSymlink)
	}
	return f, err
}

func isSymlink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}
