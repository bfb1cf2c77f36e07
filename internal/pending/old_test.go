package pending

import (
	"context"
	"errors"
	"testing"
)

// Files written before the old value existed (six or seven fields, the
// previous headers) load with it unknown, and writing the queue back
// keeps such entries without it; an eight-field file reads back as it
// was written.
func TestReadsFilesWithoutOldValue(t *testing.T) {
	const since = "2026-11-21T12:00:00Z"
	seven := "m\trefs/heads/x\t" + oidA + "\tforce\t" + since + "\t3\tfetch first\n"
	eight := "m\trefs/heads/x\t" + oidA + "\t" + oidB + "\tforce\t" + since + "\t3\tfetch first\n"
	for _, c := range []struct {
		name, file, back, old string
		attempts              int
	}{
		{"six fields", "m\trefs/heads/x\t" + oidA + "\tforce\t" + since + "\tfetch first\n",
			"m\trefs/heads/x\t" + oidA + "\tforce\t" + since + "\t1\tfetch first\n", "", 1},
		{"seven fields", "# git-remote-federate pending mirror updates: mirror\tref\tvalue|-\tforce|ff\tsince\tattempts\treason\n" + seven, seven, "", 3},
		{"eight fields", eight, eight, oidB, 3},
		{"eight fields, the ref did not exist", "m\trefs/heads/x\t-\t-\tff\t" + since + "\t0\t\n",
			"m\trefs/heads/x\t-\t-\tff\t" + since + "\t0\t\n", Absent, 0},
	} {
		got, err := Parse([]byte(c.file))
		if err != nil || len(got) != 1 || got[0].Old != c.old || got[0].Attempts != c.attempts {
			t.Fatalf("%s: Parse = %+v, %v; want old %q, %d attempts", c.name, got, err, c.old, c.attempts)
		}
		if back := string(Format(got)); back != header+c.back {
			t.Fatalf("%s: written back:\n%s", c.name, back)
		}
		again, err := Parse([]byte(header + c.back))
		if err != nil || len(again) != 1 || again[0] != got[0] {
			t.Fatalf("%s: read again = %+v, %v; want %+v", c.name, again, err, got[0])
		}
	}
}

// The old value is stored, read back ("-" for a ref that did not exist),
// and a newer value queued for the same mirror and ref keeps the first
// old value: the mirror never got the one in between. Written ahead
// (Plan) or after a failure (Add), the rule is the same.
func TestOldValueKeptAndFirstWins(t *testing.T) {
	ctx := context.Background()
	q := Open(t.TempDir())
	m := "https://m/x.git"
	must(t, q.Add(ctx, Entry{Mirror: m, Ref: "refs/heads/main", OID: oidB, Old: oidA, Force: true},
		Entry{Mirror: m, Ref: "refs/heads/new", OID: oidA, Old: zero}))
	must(t, q.Plan(ctx, Entry{Mirror: m, Ref: "refs/heads/main", OID: oidA, Old: oidB, Force: true}))
	must(t, q.Add(ctx, Entry{Mirror: m, Ref: "refs/heads/new", OID: oidB, Old: oidA}))
	got, err := q.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Ref != "refs/heads/main" || got[0].OID != oidA || got[1].OID != oidB {
		t.Fatalf("entries = %+v", got)
	}
	if got[0].Old != oidA {
		t.Fatalf("main's old value = %s, want the first one %s", got[0].Old, oidA)
	}
	if got[1].Old != Absent {
		t.Fatalf("new's old value = %q, want %q (missing)", got[1].Old, Absent)
	}
}

// An old value the writer listed on the mirror itself replaces the
// queued one: it is what the mirror holds now (another queue's delivery
// may have moved it). PlanNew leaves a queued entry alone, old value and
// all.
func TestListedOldValueReplacesQueued(t *testing.T) {
	ctx := context.Background()
	q := Open(t.TempDir())
	m := "https://m/x.git"
	oidC := "3333333333333333333333333333333333333333"
	must(t, q.Add(ctx, Entry{Mirror: m, Ref: "refs/heads/main", OID: oidB, Old: oidA, Force: true}))
	if wrote, err := q.PlanNew(ctx, Entry{Mirror: m, Ref: "refs/heads/main", OID: oidC, Old: oidB, Listed: true}); err != nil || len(wrote) != 0 {
		t.Fatalf("PlanNew over a queued entry wrote %+v, %v", wrote, err)
	}
	must(t, q.Add(ctx, Entry{Mirror: m, Ref: "refs/heads/main", OID: oidC, Old: zero, Listed: true}))
	got, err := q.Load()
	if err != nil || len(got) != 1 || got[0].OID != oidC || got[0].Old != Absent || got[0].Listed {
		t.Fatalf("entries = %+v, %v; want %s from the listed old value %q", got, err, oidC, Absent)
	}
}

// An old value that is not an object name is refused, when queued and
// when read.
func TestBadOldValueRefused(t *testing.T) {
	err := Open(t.TempDir()).Add(context.Background(), Entry{Mirror: "m", Ref: "refs/heads/x", OID: oidA, Old: "abc"})
	if err == nil {
		t.Error("Add accepted a short old value")
	}
	line := "m\trefs/heads/x\t" + oidA + "\tnot-an-oid\tff\t2026-11-21T12:00:00Z\t1\t\n"
	if _, err := Parse([]byte(line)); !errors.Is(err, ErrMalformed) {
		t.Errorf("Parse(%q) err = %v, want ErrMalformed", line, err)
	}
}

// A newer value queued over a delete or a forced update the mirror never
// got is forced too: origin deleted a branch and made it anew, or rewound
// it, and the mirror still has the old history, which a fast-forward
// could never replace. A fast-forward queued over a fast-forward stays one.
func TestNewerValueOverAForcedOneIsForced(t *testing.T) {
	ctx := context.Background()
	q := Open(t.TempDir())
	m := "https://m/x.git"
	must(t, q.Add(ctx,
		Entry{Mirror: m, Ref: "refs/heads/gone", OID: "", Old: oidA},                   // deleted
		Entry{Mirror: m, Ref: "refs/heads/rewound", OID: oidB, Old: oidA, Force: true}, // rewound
		Entry{Mirror: m, Ref: "refs/heads/plain", OID: oidB, Old: oidA}))               // fast-forward
	must(t, q.Add(ctx,
		Entry{Mirror: m, Ref: "refs/heads/gone", OID: oidB, Old: Absent},  // made anew
		Entry{Mirror: m, Ref: "refs/heads/rewound", OID: oidA, Old: oidB}, // a fast-forward on origin
		Entry{Mirror: m, Ref: "refs/heads/plain", OID: oidA, Old: oidB}))
	got, err := q.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"refs/heads/gone": true, "refs/heads/rewound": true, "refs/heads/plain": false}
	for _, e := range got {
		if e.Force != want[e.Ref] {
			t.Errorf("%s: force = %v, want %v", e.Ref, e.Force, want[e.Ref])
		}
	}
	if len(got) != 3 {
		t.Fatalf("entries = %+v", got)
	}
}
