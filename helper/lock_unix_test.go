//go:build unix

package helper

import (
	"os"
	"syscall"
)

// tryLock takes and drops a shared flock on f, reporting whether it could.
func tryLock(f *os.File) bool {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return false
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return true
}
