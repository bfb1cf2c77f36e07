package helper

import (
	"bytes"
	"io"
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

// What was written ahead of the primary's push stays queued for a ref
// whose push broke before the primary reported, even when a listing
// right after shows the old value: the server finishes a push whose
// client is gone and may update the ref later (the chaos soak saw
// origin's main move after such a listing, on no mirror and in no
// queue). A ref the primary refused, or a push it refused whole, drops
// what was written for it.
func TestWrittenAheadStaysWhenThePushBroke(t *testing.T) {
	gitDir := t.TempDir()
	s := &Session{GitDir: gitDir, Stderr: io.Discard, Fed: &federation.Federation{}}
	q := pending.Open(gitDir)
	mirror := "https://mirror.example/app.git"
	oid := strings.Repeat("a", 40)
	updates := []update{{Ref: "refs/heads/broke", OID: oid}, {Ref: "refs/heads/refused", OID: oid}, {Ref: "refs/heads/whole", OID: oid}}
	var ahead []pending.Entry
	for _, u := range updates {
		ahead = append(ahead, pending.Entry{Mirror: mirror, Ref: u.Ref, OID: u.OID, Reason: pending.ReasonUnconfirmed.String()})
	}
	if err := q.Add(t.Context(), ahead...); err != nil {
		t.Fatal(err)
	}
	status := []transport.Status{
		{Reason: transport.Said("the remote end hung up unexpectedly"), Unreported: true},
		{Reason: transport.Said("pre-receive hook declined")},
		{Reason: transport.Said("HTTP 403"), Unreported: true},
	}
	s.dropAhead(t.Context(), ahead, updates, status)
	got, err := q.Load()
	if err != nil || len(got) != 1 || got[0].Ref != "refs/heads/broke" {
		t.Fatalf("queue after the push: %+v, %v; want only refs/heads/broke", got, err)
	}
}
