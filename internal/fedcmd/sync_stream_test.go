package fedcmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/shard"
)

// sync --json writes each federation as it is done, not the whole report
// at the end; what it writes is still one JSON document, byte for byte
// the one encoding/json makes of the same report, federations in the
// order asked, a failed one with its error, the totals last.
func TestSyncJSONStreamedIsOneDocument(t *testing.T) {
	fx := newSyncFixture(t, 2)
	fx.addFederations(t, 2)
	fx.srv.AddFault(gittest.Fault{Prefix: "/f1-origin.git/info/refs", Status: http.StatusInternalServerError, Body: "broken"})
	r := fx.sync(t, SyncOptions{All: true, JSON: true})
	if r.code != ExitPartial {
		t.Fatalf("sync with one origin failing: exit %d, want %d\n%s%s", r.code, ExitPartial, r.out, r.errOut)
	}
	var doc struct {
		Federations []*fedsync.FederationResult `json:"federations"`
		Totals      *fedsync.Totals             `json:"totals,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(r.out)))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not a JSON document: %v\n%s", err, r.out)
	}
	if dec.More() {
		t.Errorf("more than one JSON document:\n%s", r.out)
	}
	var names []string
	for _, f := range doc.Federations {
		names = append(names, f.Name)
	}
	if len(names) != 3 || names[0] != "demo" || names[1] != "demo1" || names[2] != "demo2" {
		t.Errorf("federations %v, want demo, demo1, demo2", names)
	}
	if len(names) == 3 && (doc.Federations[1].Error == "" || doc.Federations[0].Error != "" || doc.Federations[2].Error != "") {
		t.Errorf("errors %q, %q, %q: want demo1's alone", doc.Federations[0].Error, doc.Federations[1].Error, doc.Federations[2].Error)
	}
	if doc.Totals == nil || doc.Totals.Checked != 3 || doc.Totals.Failed != 1 {
		t.Errorf("totals %+v, want 3 checked, 1 failed", doc.Totals)
	}
	var again bytes.Buffer
	enc := json.NewEncoder(&again)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	if again.String() != r.out {
		t.Errorf("the streamed report differs from its encoding:\n%s\nencoded:\n%s", r.out, again.String())
	}
}

// The client that lists a server is chosen per host only while git's
// configuration cannot tell two repositories of the host apart: a
// credential username set for one repository's URL sends that one
// repository to git, and its host's others are still listed in-process.
func TestSyncPathSettingListsThatRepositoryWithGit(t *testing.T) {
	fx := newSyncFixture(t, 2)
	gittest.Git(t, "", "config", "--global", "credential."+fx.mirrors[0]+".username", "someone")
	requests, gitListings := fx.listingTotals(t)
	if gitListings != 1 || requests != 2 {
		t.Errorf("requests %d, git listings %d: want mirror1 listed by git and origin and mirror2 in-process", requests, gitListings)
	}
}

// A federation whose mirrors list exactly origin's refs is still synced
// under its lock when the repository sync runs in queued something for
// one of its mirrors (here its second): the queue is read once for all
// of them, and what is queued is delivered.
func TestSyncInSyncFederationSettlesItsQueue(t *testing.T) {
	fx := newSyncFixture(t, 2)
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("first sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	// A note ref (sync does not cover it) that origin took and the
	// mirror did not.
	gittest.Git(t, fx.work, "notes", "add", "-m", "reviewed", "HEAD")
	notes := gittest.Git(t, fx.work, "rev-parse", "refs/notes/commits")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), "refs/notes/commits")
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[1], Ref: "refs/notes/commits", OID: notes}); err != nil {
		t.Fatal(err)
	}
	fx.env.Dir = fx.work
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(1), "refs/notes/commits", notes)
	if left, err := q.Load(); err != nil || len(left) != 0 {
		t.Errorf("queue after sync: %v, %v", left, err)
	}
}

// A shard reads only its own share of the [federation] sections: a
// misconfigured federation is reported by the shard that owns it, which
// exits 3 for it, and by no other.
func TestSyncShardReportsOnlyItsOwnMistakes(t *testing.T) {
	fx := newSyncFixture(t, 1)
	gittest.Git(t, "", "config", "--global", "federation.broken.mirror", fx.mirrors[0]) // no origin
	const n = 2
	owner := shard.Of("broken", n)
	for k := range n {
		r := fx.sync(t, SyncOptions{All: true, Shard: fmt.Sprintf("%d/%d", k, n)})
		said := strings.Contains(r.errOut, `"broken"`)
		switch {
		case k == owner && (!said || r.code != ExitPartial):
			t.Errorf("shard %d/%d owns broken: exit %d, want %d and a warning\n%s", k, n, r.code, ExitPartial, r.errOut)
		case k != owner && (said || r.code != ExitOK):
			t.Errorf("shard %d/%d does not own broken: exit %d, want 0 and no word of it\n%s", k, n, r.code, r.errOut)
		}
	}
}
