package pending

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	oidA = "1111111111111111111111111111111111111111"
	oidB = "2222222222222222222222222222222222222222"
	zero = "0000000000000000000000000000000000000000"
)

func TestAddSupersedesAndKeepsSince(t *testing.T) {
	ctx := context.Background()
	q := Open(t.TempDir())
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := q.Add(ctx,
		Entry{Mirror: "https://m1/x.git", Ref: "refs/heads/main", OID: oidA, Since: old, Reason: "fetch first"},
		Entry{Mirror: "https://m2/x.git", Ref: "refs/heads/main", OID: oidA}); err != nil {
		t.Fatal(err)
	}
	if err := q.Add(ctx, Entry{Mirror: "https://m1/x.git", Ref: "refs/heads/main", OID: oidB, Force: true, Reason: "line1\nline2\t\"q\""}); err != nil {
		t.Fatal(err)
	}
	got, err := q.ForMirror("https://m1/x.git")
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{Mirror: "https://m1/x.git", Ref: "refs/heads/main", OID: oidB, Force: true, Since: old, Attempts: 2, Reason: "line1 line2 \"q\""}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("m1 entries = %+v, want [%+v]", got, want)
	}
	all, _ := q.Load()
	if len(all) != 2 {
		t.Fatalf("entries = %+v, want 2", all)
	}
}

func TestRemoveOnlySatisfiedValue(t *testing.T) {
	ctx := context.Background()
	q := Open(t.TempDir())
	m := "/srv/mirror with space.git"
	must(t, q.Add(ctx, Entry{Mirror: m, Ref: "refs/heads/main", OID: oidB},
		Entry{Mirror: m, Ref: "refs/heads/gone", OID: zero}))
	// A push that sent the older value oidA must not drop the newer oidB.
	must(t, q.Remove(ctx, Entry{Mirror: m, Ref: "refs/heads/main", OID: oidA}))
	must(t, q.Remove(ctx, Entry{Mirror: m, Ref: "refs/heads/gone"}))
	got, _ := q.Load()
	if len(got) != 1 || got[0].OID != oidB {
		t.Fatalf("entries = %+v, want main@B only", got)
	}
	must(t, q.Remove(ctx, Entry{Mirror: m, Ref: "refs/heads/main", OID: oidB}))
	if _, err := os.Stat(q.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("empty queue left a file: %v", err)
	}
}

func TestFileFormat(t *testing.T) {
	ctx := context.Background()
	q := Open(t.TempDir())
	since := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	must(t, q.Add(ctx, Entry{Mirror: "https://m/x.git", Ref: "refs/tags/v1", OID: oidA, Since: since, Reason: "already exists"},
		Entry{Mirror: "https://m/x.git", Ref: "refs/heads/old", Since: since}))
	b, err := os.ReadFile(filepath.Join(filepath.Dir(q.Path()), "pending"))
	if err != nil {
		t.Fatal(err)
	}
	want := header +
		"https://m/x.git\trefs/heads/old\t-\tff\t2026-11-21T12:00:00Z\t1\t\n" +
		"https://m/x.git\trefs/tags/v1\t" + oidA + "\tff\t2026-11-21T12:00:00Z\t1\talready exists\n"
	if string(b) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b, want)
	}
	e, _ := q.Load()
	if !e[0].Delete() || e[0].Refspec() != ":refs/heads/old" || e[1].Refspec() != oidA+":refs/tags/v1" {
		t.Fatalf("refspecs: %q %q", e[0].Refspec(), e[1].Refspec())
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	for _, line := range []string{
		"only\ttwo",
		"m\trefs/heads/x\tnot-an-oid\tff\t2026-11-21T12:00:00Z\t",
		"m\trefs/heads/x\t-\tmaybe\t2026-11-21T12:00:00Z\t",
		"m\trefs/heads/x\t-\tff\tyesterday\t",
		"m\trefs/heads/x\t-\tff\t2026-11-21T12:00:00Z\tmany\t",
	} {
		if _, err := Parse([]byte(line + "\n")); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) err = %v, want ErrMalformed", line, err)
		}
	}
	if err := Open(t.TempDir()).Add(context.Background(), Entry{Mirror: "m", Ref: "refs/heads/x", OID: "abc"}); err == nil {
		t.Error("Add accepted a short object name")
	}
}

// Concurrent writers (separate Queue values, as two processes would have)
// must not lose each other's entries.
func TestConcurrentAdds(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Open(dir).Add(context.Background(), Entry{Mirror: "m", Ref: fmt.Sprintf("refs/heads/b%02d", i), OID: oidA})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got, err := Open(dir).Load()
	must(t, err)
	if len(got) != 40 {
		t.Fatalf("got %d entries, want 40", len(got))
	}
}

func TestLockTimesOut(t *testing.T) {
	q := Open(t.TempDir())
	must(t, os.MkdirAll(filepath.Dir(q.Path()), 0o755))
	unlock, err := lockFile(context.Background(), q.Path()+".lock")
	must(t, err)
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = q.Add(ctx, Entry{Mirror: "m", Ref: "refs/heads/x", OID: oidA})
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("Add under a held lock: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The queue's directory is created private to the user (0700), and
// closed to others when it was left open.
func TestQueueDirectoryIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "git", "federate")
	q := At(filepath.Join(dir, "pending"))
	e := Entry{Mirror: "https://m.example/r.git", Ref: "refs/heads/main", OID: strings.Repeat("a", 40), Reason: "down"}
	for _, before := range []os.FileMode{0, 0o755} {
		if before != 0 {
			if err := os.Chmod(dir, before); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.Add(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("mode %v before: the queue's directory has mode %v, want 0700", before, perm)
		}
	}
}
