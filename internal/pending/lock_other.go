//go:build !unix

package pending

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// lockFile creates path exclusively as a lock, waiting until ctx ends (or
// LockTimeout). Without flock a crashed process leaves the file behind;
// remove it by hand then.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, LockTimeout)
		defer cancel()
	}
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("pending: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("pending: %s is locked by another process: %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
