package fedsync

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLockKeepsSecondSyncOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.lock")
	ctx := context.Background()
	first, err := acquireLock(ctx, path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = acquireLock(ctx, path, 0, nil)
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("second lock without waiting: %v, want ErrBusy naming the holder", err)
	}

	waiting := make(chan string, 1)
	got := make(chan error, 1)
	go func() {
		l, err := acquireLock(ctx, path, time.Minute, func(holder string) { waiting <- holder })
		if err == nil {
			l.release()
		}
		got <- err
	}()
	select {
	case <-waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("second sync did not report that it waits")
	}
	first.release()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("second sync after release: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second sync never got the lock")
	}
}

func TestLockWaitEndsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.lock")
	first, err := acquireLock(context.Background(), path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.release()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = acquireLock(ctx, path, time.Hour, func(string) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}
