package helper

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// A corrupt queue file does not stop a push from queueing what a mirror
// refused: the file is moved aside (the user is told where) and the
// update is queued, so "could not queue" would be a false alarm.
func TestRecordOutcomesOverCorruptQueue(t *testing.T) {
	gitDir := t.TempDir()
	q := pending.Open(gitDir)
	if err := os.MkdirAll(filepath.Dir(q.Path()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(q.Path(), []byte("not a queue line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	s := &Session{GitDir: gitDir, Stderr: &stderr, Fed: &federation.Federation{}}
	mirror := federation.Endpoint{Raw: "https://mirror.example/app.git"}
	oid := strings.Repeat("a", 40)
	u := indexedUpdate{update: update{Ref: "refs/heads/main", Src: "refs/heads/main", OID: oid}}
	s.recordOutcomes(t.Context(), q, []mirrorOutcome{{
		Plan: mirrorPlan{Mirror: mirror, Updates: []indexedUpdate{u}},
		Refs: []mirrorRef{{indexedUpdate: u, Reason: transport.Said("pre-receive hook declined")}},
	}})
	out := stderr.String()
	if strings.Contains(out, "could not queue") {
		t.Errorf("the update was queued, yet the push says it was not:\n%s", out)
	}
	for _, want := range []string{"was corrupt", "moved aside to " + q.Path() + ".corrupt-", "1 update queued in " + q.Path()} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	got, err := q.Load()
	if err != nil || len(got) != 1 || got[0].Mirror != mirror.Raw || got[0].OID != oid {
		t.Fatalf("queue after the push: %+v, %v; want the refused update", got, err)
	}
}
