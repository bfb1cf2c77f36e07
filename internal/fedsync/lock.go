package fedsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrBusy is returned when another sync of the same federation holds the
// lock for longer than Engine.LockWait.
var ErrBusy = errors.New("another sync of this federation is running")

// lockPoll is how often a waiting sync retries the lock.
const lockPoll = 50 * time.Millisecond

// fileLock is an flock(2) on a file beside the cache. The kernel drops it
// when the process dies, even by SIGKILL, so a killed sync never leaves a
// lock that the next run must clean up.
type fileLock struct{ f *os.File }

// acquireLock takes the exclusive lock on path, waiting up to wait (0:
// not at all). notify is called once if it has to wait, with the pid
// the holder wrote into the file.
func acquireLock(ctx context.Context, path string, wait time.Duration, notify func(holder string)) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	notified := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !time.Now().Before(deadline) {
			holder := readHolder(path)
			f.Close()
			return nil, fmt.Errorf("%w (pid %s holds %s); wait for it to finish", ErrBusy, holder, path)
		}
		if !notified && notify != nil {
			notify(readHolder(path))
			notified = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
	// Record the holder for the "another sync is running" message.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &fileLock{f: f}, nil
}

func readHolder(path string) string {
	b, err := os.ReadFile(path)
	if s := strings.TrimSpace(string(b)); err == nil && s != "" {
		return s
	}
	return "?"
}

// release drops the lock.
func (l *fileLock) release() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
