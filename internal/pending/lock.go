package pending

import (
	"context"
	"errors"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/lockfile"
)

// lockFile takes the exclusive lock on path, waiting until ctx ends (or
// LockTimeout when ctx has no deadline). The lock is released when the
// returned function runs or the process dies, so a crashed push never
// leaves the queue locked.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	wait := LockTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	l, err := lockfile.Acquire(ctx, path, wait, nil)
	if errors.Is(err, context.DeadlineExceeded) {
		// The wait was ctx's own deadline, and ctx noticed first: the
		// lock was busy all along, which is what the caller must hear.
		err = &lockfile.BusyError{Path: path, Holder: lockfile.Holder(path)}
	}
	if err != nil {
		return nil, i18n.Errorf("pending: %w", err)
	}
	return l.Release, nil
}
