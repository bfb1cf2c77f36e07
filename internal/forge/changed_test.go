package forge

import (
	"context"
	"testing"
	"time"
)

// Each forge's "last push" time reaches Repo.ChangedAt, the most specific
// one first; a timestamp the forge writes oddly is "unknown", never a
// failed listing.
func TestListReposChangedAt(t *testing.T) {
	f := newFake(t)
	f.json("GET", "/api/orgs/o/repos", 200, []map[string]any{
		{"name": "gh", "pushed_at": "2026-11-01T10:00:00Z", "updated_at": "2026-01-01T00:00:00Z"},
		{"name": "gitea", "updated_at": "2026-11-02T11:00:00+08:00"},
		{"name": "gitlab", "last_activity_at": "2026-11-03T12:00:00.123Z", "updated_at": "2026-01-01T00:00:00Z"},
		{"name": "odd", "pushed_at": "last tuesday", "updated_at": nil},
	})
	got, err := Client{}.ListRepos(context.Background(), GitHub, f.URL+"/api", "o", "tok")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		"gh":     time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC),
		"gitea":  time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC),
		"gitlab": time.Date(2026, 11, 3, 12, 0, 0, 123e6, time.UTC),
		"odd":    {},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d repositories, want %d: %+v", len(got), len(want), got)
	}
	for _, r := range got {
		if !r.ChangedAt.Equal(want[r.Name]) {
			t.Errorf("%s: ChangedAt %v, want %v", r.Name, r.ChangedAt, want[r.Name])
		}
	}
}
