package fedsync

import (
	"context"
	"errors"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/lockfile"
)

// ErrBusy is returned when another sync of the same federation holds the
// lock for longer than Engine.LockWait.
var ErrBusy = i18n.Errorf("another sync of this federation is running")

// fileLock is the lock of one federation's sync, beside its cache.
type fileLock struct{ l *lockfile.Lock }

// acquireLock takes the exclusive lock on path, waiting up to wait (0:
// not at all). notify is called once if it has to wait, with the pid
// the holder wrote into the file.
func acquireLock(ctx context.Context, path string, wait time.Duration, notify func(holder string)) (*fileLock, error) {
	l, err := lockfile.Acquire(ctx, path, wait, notify)
	var busy *lockfile.BusyError
	if errors.As(err, &busy) {
		return nil, i18n.Errorf("%w (pid %s holds %s); wait for it to finish", ErrBusy, busy.Holder, path)
	}
	if err != nil {
		return nil, err
	}
	return &fileLock{l: l}, nil
}

// release drops the lock.
func (l *fileLock) release() { l.l.Release() }
