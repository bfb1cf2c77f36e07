package pending

import (
	"context"
	"testing"
)

// A file written before the old value existed (seven fields, the
// previous header) loads: its entries' old value is unknown, and writing
// the queue back keeps them in seven fields.
func TestReadsFilesWithoutOldValue(t *testing.T) {
	before := "# git-remote-federate pending mirror updates: mirror\tref\tvalue|-\tforce|ff\tsince\tattempts\treason\n" +
		"m\trefs/heads/x\t" + oidA + "\tforce\t2026-11-21T12:00:00Z\t3\tfetch first\n"
	got, err := Parse([]byte(before))
	if err != nil || len(got) != 1 || got[0].Old != "" || !got[0].Force || got[0].Attempts != 3 || got[0].Reason != "fetch first" {
		t.Fatalf("Parse(seven fields) = %+v, %v", got, err)
	}
	if back := string(Format(got)); back != header+"m\trefs/heads/x\t"+oidA+"\tforce\t2026-11-21T12:00:00Z\t3\tfetch first\n" {
		t.Fatalf("written back:\n%s", back)
	}
}

// The old value is stored, read back ("-" for a ref that did not exist),
// and a newer value queued for the same mirror and ref keeps the first
// old value: the mirror never got the one in between.
func TestOldValueKeptAndFirstWins(t *testing.T) {
	ctx := context.Background()
	q := Open(t.TempDir())
	m := "https://m/x.git"
	must(t, q.Add(ctx, Entry{Mirror: m, Ref: "refs/heads/main", OID: oidB, Old: oidA, Force: true},
		Entry{Mirror: m, Ref: "refs/heads/new", OID: oidA, Old: zero}))
	must(t, q.Add(ctx, Entry{Mirror: m, Ref: "refs/heads/main", OID: oidA, Old: oidB, Force: true}))
	got, err := q.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Ref != "refs/heads/main" || got[0].OID != oidA {
		t.Fatalf("entries = %+v", got)
	}
	if got[0].Old != oidA {
		t.Fatalf("main's old value = %s, want the first one %s", got[0].Old, oidA)
	}
	if got[1].Old != Absent || !got[1].Holds("") || got[1].Holds(oidA) {
		t.Fatalf("new's old value = %q, want %q (missing)", got[1].Old, Absent)
	}
}

// Diverged: a forced update or a delete with a known old value, on a
// mirror that holds neither it nor the new value.
func TestDiverged(t *testing.T) {
	oidC := "3333333333333333333333333333333333333333"
	for _, c := range []struct {
		e      Entry
		mirror string
		want   bool
	}{
		{Entry{OID: oidB, Old: oidA, Force: true}, oidA, false},
		{Entry{OID: oidB, Old: oidA, Force: true}, oidB, false},
		{Entry{OID: oidB, Old: oidA, Force: true}, oidC, true},
		{Entry{OID: oidB, Old: oidA, Force: true}, "", true},
		{Entry{OID: oidB, Old: Absent, Force: true}, oidC, true},
		{Entry{OID: oidB, Old: Absent, Force: true}, "", false},
		{Entry{Old: oidA}, oidC, true},
		{Entry{Old: oidA}, "", false},
		{Entry{OID: oidB, Old: oidA}, oidC, false},   // a fast-forward: the mirror judges it
		{Entry{OID: oidB, Force: true}, oidC, false}, // old value unknown
	} {
		if got := c.e.Diverged(c.mirror); got != c.want {
			t.Errorf("%+v.Diverged(%q) = %v, want %v", c.e, c.mirror, got, c.want)
		}
	}
}
