package helper

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// splicePipes moves data from the pipe from to the pipe to inside the
// kernel, without copying it through this process. handled is false when
// the ends are not both pipes, or splice is refused before any byte
// moved, and the caller copies instead.
func splicePipes(to io.Writer, from *os.File) (handled bool, err error) {
	dst, ok := to.(*os.File)
	if !ok || !isPipe(dst) || !isPipe(from) {
		return false, nil
	}
	moved := false
	for {
		n, err := syscall.Splice(int(from.Fd()), nil, int(dst.Fd()), nil, 1<<20, spliceMove|spliceMore)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil && !moved:
			return false, nil
		case err != nil:
			return true, err
		case n == 0:
			return true, nil
		}
		moved = true
	}
}

const (
	spliceMove = 0x1
	spliceMore = 0x4
)

func isPipe(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeNamedPipe != 0
}
