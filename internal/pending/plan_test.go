package pending

import (
	"path/filepath"
	"strings"
	"testing"
)

// An update written ahead of its push counts no attempt, survives a
// reload, and a failure afterwards counts one; writing ahead again over
// a queued update keeps its count.
func TestPlanCountsNoAttempt(t *testing.T) {
	q := At(filepath.Join(t.TempDir(), "pending"))
	ctx := t.Context()
	e := Entry{Mirror: "https://m.example/a.git", Ref: "refs/heads/main", OID: strings.Repeat("b", 40), Reason: "in flight"}
	if err := q.Plan(ctx, e); err != nil {
		t.Fatal(err)
	}
	attempts := func(want int) {
		t.Helper()
		got, err := q.Load()
		if err != nil || len(got) != 1 || got[0].Attempts != want {
			t.Fatalf("queue: %+v, %v; want one entry with %d attempts", got, err, want)
		}
	}
	attempts(0)
	e.Reason = "refused"
	if err := q.Add(ctx, e); err != nil {
		t.Fatal(err)
	}
	attempts(1)
	if err := q.Plan(ctx, e); err != nil {
		t.Fatal(err)
	}
	attempts(1)
}

// Remove given two values of one ref (a queued value superseded by the
// one just pushed, both now on the mirror) drops the entry whichever of
// them it holds.
func TestRemoveTwoValuesOfARef(t *testing.T) {
	q := At(filepath.Join(t.TempDir(), "pending"))
	ctx := t.Context()
	old := Entry{Mirror: "https://m.example/a.git", Ref: "refs/heads/main", OID: strings.Repeat("b", 40)}
	newer := old
	newer.OID = strings.Repeat("c", 40)
	if err := q.Plan(ctx, newer); err != nil {
		t.Fatal(err)
	}
	if err := q.Remove(ctx, newer, old); err != nil {
		t.Fatal(err)
	}
	if got, err := q.Load(); err != nil || len(got) != 0 {
		t.Fatalf("queue: %+v, %v; want empty", got, err)
	}
}

// PlanNew writes only the entries whose mirror and ref have nothing
// queued, says which, and leaves a queued value as it was.
func TestPlanNewLeavesQueuedValues(t *testing.T) {
	q := At(filepath.Join(t.TempDir(), "pending"))
	ctx := t.Context()
	queued := Entry{Mirror: "https://m.example/a.git", Ref: "refs/heads/main", OID: strings.Repeat("a", 40)}
	if err := q.Add(ctx, queued); err != nil {
		t.Fatal(err)
	}
	main := Entry{Mirror: queued.Mirror, Ref: "refs/heads/main", OID: strings.Repeat("b", 40)}
	other := Entry{Mirror: queued.Mirror, Ref: "refs/heads/other", OID: strings.Repeat("b", 40)}
	wrote, err := q.PlanNew(ctx, main, other)
	if err != nil {
		t.Fatal(err)
	}
	if len(wrote) != 1 || wrote[0].Ref != other.Ref {
		t.Fatalf("PlanNew wrote %+v, want only %s", wrote, other.Ref)
	}
	got, err := q.Load()
	if err != nil || len(got) != 2 || got[0].OID != queued.OID || got[0].Attempts != 1 || got[1].Attempts != 0 {
		t.Fatalf("queue: %+v, %v; want main kept at its queued value and other planned", got, err)
	}
}
