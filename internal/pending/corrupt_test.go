package pending

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file written by an older version (six fields) still reads.
func TestReadsSixFieldFiles(t *testing.T) {
	old := "m\trefs/heads/x\t" + oidA + "\tff\t2026-11-21T12:00:00Z\tfetch first\n"
	got, err := Parse([]byte(old))
	if err != nil || len(got) != 1 || got[0].Attempts != 1 || got[0].Reason != "fetch first" {
		t.Fatalf("Parse(six fields) = %+v, %v", got, err)
	}
}

// A corrupt queue is reported with both file names, kept aside byte for
// byte, and its readable entries stay queued.
func TestCorruptFileMovedAsideNotDropped(t *testing.T) {
	ctx := t.Context()
	q := Open(t.TempDir())
	must(t, q.Add(ctx, Entry{Mirror: "m", Ref: "refs/heads/good", OID: oidA}))
	good, err := os.ReadFile(q.Path())
	must(t, err)
	damaged := string(good) + "m\trefs/heads/bad\tnot-an-oid\tff\t2026-11-21T12:00:00Z\t1\t\n"
	must(t, os.WriteFile(q.Path(), []byte(damaged), 0o644))

	got, err := q.Load()
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrMalformed) {
		t.Fatalf("Load of a corrupt file: %v, want a *CorruptError", err)
	}
	if !strings.Contains(err.Error(), q.Path()) || !strings.Contains(err.Error(), ce.Aside) || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("message does not name the file, where it went and the line: %v", err)
	}
	if len(got) != 1 || got[0].Ref != "refs/heads/good" {
		t.Errorf("entries = %+v, want the good one", got)
	}
	kept, err := os.ReadFile(ce.Aside)
	if err != nil || string(kept) != damaged {
		t.Fatalf("corrupt file not kept aside as it was: %v\n%s", err, kept)
	}
	if filepath.Dir(ce.Aside) != filepath.Dir(q.Path()) || !strings.HasPrefix(filepath.Base(ce.Aside), "pending.corrupt-") {
		t.Errorf("aside = %s", ce.Aside)
	}
	// The queue itself is clean again.
	if again, err := q.Load(); err != nil || len(again) != 1 {
		t.Fatalf("after repair: %+v, %v", again, err)
	}
}

// A file cut short (a crash before the rename was made atomic, a full
// disk) is corrupt, and an Add on it still queues its entry.
func TestTruncatedFileAddStillQueues(t *testing.T) {
	ctx := t.Context()
	q := Open(t.TempDir())
	must(t, q.Add(ctx, Entry{Mirror: "m", Ref: "refs/heads/a", OID: oidA}, Entry{Mirror: "m", Ref: "refs/heads/b", OID: oidB}))
	b, err := os.ReadFile(q.Path())
	must(t, err)
	must(t, os.WriteFile(q.Path(), b[:len(b)-10], 0o644))

	err = q.Add(ctx, Entry{Mirror: "m", Ref: "refs/heads/c", OID: oidA})
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("Add on a truncated file: %v, want a *CorruptError after writing", err)
	}
	got, err := q.Load()
	must(t, err)
	if len(got) != 2 || got[0].Ref != "refs/heads/a" || got[1].Ref != "refs/heads/c" {
		t.Fatalf("entries = %+v, want a (readable) and c (new)", got)
	}
	if _, err := os.Stat(ce.Aside); err != nil {
		t.Fatalf("truncated file not kept: %v", err)
	}
}

// Attempts count the failures; the last error is stored without control
// characters, so a hostile server cannot drive the terminal of whoever
// runs `git federate status`.
func TestAttemptsAndSanitisedReason(t *testing.T) {
	ctx := t.Context()
	q := Open(t.TempDir())
	for range 3 {
		must(t, q.Add(ctx, Entry{Mirror: "m", Ref: "refs/heads/a", OID: oidA, Reason: "remote: \x1b[31mdenied\x1b]0;pwned\a\r\nby hook"}))
	}
	got, err := q.Load()
	must(t, err)
	if len(got) != 1 || got[0].Attempts != 3 {
		t.Fatalf("entries = %+v, want one with 3 attempts", got)
	}
	if r := got[0].Reason; strings.ContainsAny(r, "\x1b\a\r\n") || !strings.Contains(r, "denied") || !strings.Contains(r, "by hook") {
		t.Fatalf("reason = %q", r)
	}
	long := strings.Repeat("x", 5000)
	must(t, q.Add(ctx, Entry{Mirror: "m", Ref: "refs/heads/b", OID: oidA, Reason: long}))
	got, _ = q.ForMirror("m")
	if n := len([]rune(got[1].Reason)); n > maxReason+1 {
		t.Fatalf("reason kept %d runes", n)
	}
}

// No temporary file survives a write.
func TestNoTemporaryLeft(t *testing.T) {
	q := Open(t.TempDir())
	for i := range 5 {
		must(t, q.Add(t.Context(), Entry{Mirror: "m", Ref: "refs/heads/a", OID: []string{oidA, oidB}[i%2]}))
	}
	ents, err := os.ReadDir(filepath.Dir(q.Path()))
	must(t, err)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".pending-") {
			t.Fatalf("temporary file left: %s", e.Name())
		}
	}
}
