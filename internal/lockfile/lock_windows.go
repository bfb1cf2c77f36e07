//go:build windows

package lockfile

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// lockedByte is the offset of the byte LockFileEx locks: past any pid the
// holder writes, because Windows locks are mandatory and would keep a
// waiting process from reading who holds the lock.
func lockedByte() *windows.Overlapped { return &windows.Overlapped{OffsetHigh: 1} }

// tryLock takes LockFileEx without waiting; busy when another process
// holds it. Windows drops the lock when the holder exits.
func tryLock(f *os.File) (busy bool, err error) {
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, lockedByte())
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return true, nil
	}
	return false, err
}

func unlock(f *os.File) {
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockedByte())
}

// openNoFollow refuses a symlink found by Lstat before opening: Windows
// has no O_NOFOLLOW, and creating a symlink there takes a privilege an
// attacker in the user's own directories rarely has.
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
	}
	return os.OpenFile(path, flag, perm)
}
