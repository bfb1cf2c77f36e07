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
