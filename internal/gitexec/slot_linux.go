package gitexec

import (
	"os"

	"golang.org/x/sys/unix"
)

// memFile is an anonymous file in memory (memfd_create), closed on exec
// unless handed to a child.
func memFile(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}
