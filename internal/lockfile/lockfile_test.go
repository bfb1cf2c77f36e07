package lockfile

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

func TestLockKeepsSecondHolderOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.lock")
	ctx := context.Background()
	first, err := Acquire(ctx, path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(ctx, path, 0, nil)
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("second lock without waiting: %v, want ErrBusy naming the holder", err)
	}

	waiting := make(chan string, 1)
	got := make(chan error, 1)
	go func() {
		l, err := Acquire(ctx, path, time.Minute, func(holder string) { waiting <- holder })
		if err == nil {
			l.Release()
		}
		got <- err
	}()
	select {
	case <-waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("second sync did not report that it waits")
	}
	first.Release()
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
	first, err := Acquire(context.Background(), path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Acquire(ctx, path, time.Hour, func(string) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}

// A symlink where the lock goes is refused, and the file it points to is
// left as it was: opening the lock must not truncate whatever an
// attacker pointed it at.
func TestLockRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious")
	if err := os.WriteFile(precious, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "demo.lock")
	if err := os.Symlink(precious, path); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(context.Background(), path, 0, nil)
	if err == nil {
		l.Release()
	}
	if !errors.Is(err, ErrSymlink) {
		t.Errorf("Acquire through a symlink = %v, want ErrSymlink", err)
	}
	if b, _ := os.ReadFile(precious); string(b) != "keep me\n" {
		t.Errorf("the symlink's target became %q", b)
	}
}

// Locks and the directories they live in are private to the user.
func TestLockAndDirArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := MkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(context.Background(), filepath.Join(dir, "x.lock"), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	for p, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "x.lock"): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm() &^ 0o022; got != want&^0o022 || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if err := MkdirPrivate(link); !errors.Is(err, ErrSymlink) {
		t.Errorf("MkdirPrivate on a symlink = %v, want ErrSymlink", err)
	}
}
