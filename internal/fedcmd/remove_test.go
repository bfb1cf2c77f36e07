package fedcmd

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// Removing a federation drops what the repository queued for its
// mirrors, but keeps what is queued for a mirror another federation has.
func TestRemoveDropsQueuedUpdatesOfItsMirrors(t *testing.T) {
	gittest.Isolate(t)
	repo := gittest.NewWorkRepo(t)
	head := gittest.Git(t, repo, "rev-parse", "HEAD")
	const gone, shared, other = "https://example.com/gone.git", "https://example.com/shared.git", "https://example.com/other.git"
	for _, kv := range [][2]string{
		{"federation.a.origin", "https://example.com/a.git"}, {"federation.a.mirror", gone}, {"federation.a.mirror", shared},
		{"federation.b.origin", "https://example.com/b.git"}, {"federation.b.mirror", shared}, {"federation.b.mirror", other},
	} {
		gittest.Git(t, repo, "config", "--local", "--add", kv[0], kv[1])
	}
	q := pending.Open(gittest.Git(t, repo, "rev-parse", "--absolute-git-dir"))
	if err := q.Add(t.Context(),
		pending.Entry{Mirror: gone, Ref: "refs/heads/main", OID: head},
		pending.Entry{Mirror: gone, Ref: "refs/heads/x", OID: head},
		pending.Entry{Mirror: shared, Ref: "refs/heads/main", OID: head},
		pending.Entry{Mirror: other, Ref: "refs/heads/main", OID: head},
	); err != nil {
		t.Fatal(err)
	}
	stdio, out, _ := testIO("")
	if err := runRemove(t.Context(), stdio, RemoveOptions{Name: "a", Dir: repo}); err != nil {
		t.Fatal(err)
	}
	left, err := q.Load()
	if err != nil {
		t.Fatal(err)
	}
	var mirrors []string
	for _, e := range left {
		mirrors = append(mirrors, e.Mirror)
	}
	if strings.Join(mirrors, " ") != other+" "+shared {
		t.Errorf("queued after remove: %v, want only %s and %s", left, other, shared)
	}
	if !strings.Contains(out.String(), "Dropped 2 update(s) queued for "+gone) {
		t.Errorf("output %q", out)
	}
}
