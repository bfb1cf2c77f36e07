package fedcmd

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

func TestStatusCategories(t *testing.T) {
	fx := newSyncFixture(t, 2)
	// mirror1: diverged "div", ahead "ahead", extra "extra".
	fx.commitOrigin(t, "div", "d.txt")
	fx.commitOrigin(t, "ahead", "a0.txt")
	gittest.Seed(t, fx.work, fx.mirrorPath(0), fx.mirrorPath(1))
	fx.divergeMirror(t, 0, "div")
	fx.divergeMirror(t, 0, "ahead")
	fx.commitOrigin(t, "div", "d2.txt")
	extra := fx.commitOrigin(t, "extra", "e.txt")
	gittest.Git(t, fx.work, "push", "-q", fx.mirrorPath(0), "extra")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), ":extra")
	// behind "main", missing "new"; the tag stays in sync.
	fx.commitOrigin(t, "main", "m.txt")
	fx.commitOrigin(t, "new", "n.txt")
	_ = extra

	r := fx.status(t, StatusOptions{JSON: true})
	if r.code != ExitOK {
		t.Fatalf("status: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	rep := decodeReport(t, r.out)
	want := map[string]string{
		"refs/heads/main": "behind", "refs/heads/ahead": "ahead", "refs/heads/div": "diverged",
		"refs/heads/new": "missing", "refs/heads/extra": "extra", "refs/tags/v1": "in-sync",
	}
	for ref, st := range want {
		if got, _, _ := rep.refState(0, ref); got != st {
			t.Errorf("mirror1 %s: %q, want %q", ref, got, st)
		}
	}
	if got, _, _ := rep.refState(1, "refs/heads/div"); got != "behind" {
		t.Errorf("mirror2 div: %q, want behind", got)
	}

	r = fx.status(t, StatusOptions{})
	for _, s := range []string{"1 behind", "1 ahead", "1 diverged", "1 missing", "1 extra", "refs/heads/div"} {
		if !strings.Contains(r.out, s) {
			t.Errorf("table lacks %q:\n%s", s, r.out)
		}
	}
	if r := fx.status(t, StatusOptions{ExitCode: true}); r.code != ExitFailure {
		t.Errorf("--exit-code out of sync: exit %d, want 1", r.code)
	}
	// Status pushes nothing.
	for _, q := range fx.srv.Requests() {
		if strings.Contains(q.Path+q.Query, "receive-pack") {
			t.Fatalf("status pushed: %s", q.Path)
		}
	}
}

func TestStatusInSyncExitCode(t *testing.T) {
	fx := newSyncFixture(t, 2)
	r := fx.status(t, StatusOptions{ExitCode: true, Names: []string{"demo"}})
	if r.code != ExitOK || !strings.Contains(r.out, "2 in-sync") {
		t.Fatalf("in sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestStatusUnreachableMirror(t *testing.T) {
	fx := newSyncFixture(t, 2)
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/", Status: 503, Body: "down"})
	r := fx.status(t, StatusOptions{})
	if r.code != ExitPartial || !strings.Contains(r.out, "UNREACHABLE") {
		t.Fatalf("unreachable mirror: exit %d, want 3\n%s%s", r.code, r.out, r.errOut)
	}
}

// A federation whose config is wrong cannot be read: status says so
// and exits 3 as sync --all does, whatever --exit-code says, so that
// `status --exit-code || sync --all` does not read it as all in sync.
func TestStatusMisconfiguredFederationIsNotInSync(t *testing.T) {
	fx := newSyncFixture(t, 2)
	gittest.Git(t, "", "config", "--global", "federation.bad.origin", "http://127.0.0.1:99999/x.git")
	for _, exitCode := range []bool{false, true} {
		r := fx.status(t, StatusOptions{ExitCode: exitCode})
		if r.code != ExitPartial || !strings.Contains(r.errOut, `federation "bad" is misconfigured`) || !strings.Contains(r.out, "2 in-sync") {
			t.Errorf("--exit-code=%v: exit %d, want 3 with the good federation shown\n%s%s", exitCode, r.code, r.out, r.errOut)
		}
	}
	// With no federation that can be read, status failed.
	gittest.Git(t, "", "config", "--global", "--remove-section", "federation.demo")
	if r := fx.status(t, StatusOptions{}); r.code != ExitFailure {
		t.Errorf("only a misconfigured federation: exit %d, want 1\n%s%s", r.code, r.out, r.errOut)
	}
}

// A queued update the mirror already holds (a sync run elsewhere, or
// another clone's push, brought it) is shown as such and is no work
// left for --exit-code; this repository's next push or sync drops it.
func TestStatusQueuedUpdateTheMirrorHolds(t *testing.T) {
	fx := newSyncFixture(t, 2)
	fx.env.Dir = fx.work
	head := gittest.Git(t, fx.work, "rev-parse", "HEAD")
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	since := time.Now().Add(-time.Hour).UTC()
	if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[1], Ref: "refs/heads/main", OID: head, Old: strings.Repeat("a", 40),
		Since: since, Reason: "the mirror could not be reached"}); err != nil {
		t.Fatal(err)
	}
	r := fx.status(t, StatusOptions{ExitCode: true})
	if r.code != ExitOK || !strings.Contains(r.out, "the mirror could not be reached; the mirror has it now") {
		t.Errorf("delivered update: exit %d, want 0 and the update shown as delivered\n%s%s", r.code, r.out, r.errOut)
	}
	r = fx.status(t, StatusOptions{JSON: true})
	var rep struct{ Pending []struct{ Delivered bool } }
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil || len(rep.Pending) != 1 || !rep.Pending[0].Delivered {
		t.Errorf("JSON: %v, want one pending entry, delivered\n%s", err, r.out)
	}

	// Another value for the same ref is still work to do.
	if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[1], Ref: "refs/heads/main", OID: strings.Repeat("b", 40),
		Since: since, Reason: "the mirror could not be reached"}); err != nil {
		t.Fatal(err)
	}
	r = fx.status(t, StatusOptions{ExitCode: true})
	if r.code != ExitFailure || strings.Contains(r.out, "the mirror has it now") {
		t.Errorf("undelivered update: exit %d, want 1, not shown as delivered\n%s%s", r.code, r.out, r.errOut)
	}
}

// Status run in a repository lists, under each mirror, what pushes
// queued for it: the ref from its old value to its new one, since when,
// how many attempts, the last error.
func TestStatusShowsQueuedWork(t *testing.T) {
	fx := newSyncFixture(t, 2)
	fx.env.Dir = fx.work
	head := gittest.Git(t, fx.work, "rev-parse", "HEAD")
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	since := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	old := strings.Repeat("a", 40)
	for range 2 {
		if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[1], Ref: "refs/heads/wip", OID: head, Old: old,
			Since: since, Reason: "pre-receive hook declined\x1b[2J"}); err != nil {
			t.Fatal(err)
		}
	}
	// Written ahead of a push that never heard back: no failed attempt.
	if err := q.Plan(t.Context(), pending.Entry{Mirror: fx.mirrors[1], Ref: "refs/heads/next", OID: head, Old: pending.Absent,
		Since: since, Reason: "the push that queued it ended before the mirror answered"}); err != nil {
		t.Fatal(err)
	}
	// A delete, queued by a version that kept no old value.
	if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[1], Ref: "refs/heads/old", Since: since}); err != nil {
		t.Fatal(err)
	}
	r := fx.status(t, StatusOptions{})
	if r.code != ExitOK {
		t.Fatalf("status: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	_, under, _ := strings.Cut(r.out, fx.mirrors[1]+":")
	for _, want := range []string{
		"queued    refs/heads/wip " + old[:12] + " -> " + head[:12] + ", for 3h00m, 2 failed attempts: pre-receive hook declined",
		"queued    refs/heads/next (new) -> " + head[:12] + ", for 3h00m, 0 failed attempts: the push that queued it ended",
		"queued    refs/heads/old (unknown) -> (delete), for 3h00m",
	} {
		if !strings.Contains(under, want) || strings.Contains(r.out, "\x1b") {
			t.Fatalf("status text lacks %q under mirror2:\n%s", want, r.out)
		}
	}
	if r := fx.status(t, StatusOptions{ExitCode: true}); r.code != ExitFailure {
		t.Errorf("--exit-code with queued work: exit %d, want 1", r.code)
	}

	r = fx.status(t, StatusOptions{JSON: true})
	var rep struct {
		Pending []struct {
			Mirror, Ref, OID string
			Old              *string
			LastError        string `json:"last_error"`
			AgeSeconds       int64  `json:"age_seconds"`
			Attempts         int
			Federations      []string
		}
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, r.out)
	}
	if len(rep.Pending) != 3 || rep.Pending[0].Ref != "refs/heads/next" || rep.Pending[0].Attempts != 0 ||
		rep.Pending[0].Old == nil || *rep.Pending[0].Old != "" || rep.Pending[1].Ref != "refs/heads/old" || rep.Pending[1].Old != nil || rep.Pending[1].OID != "" {
		t.Fatalf("pending = %+v", rep.Pending)
	}
	p := rep.Pending[2]
	if p.Mirror != fx.mirrors[1] || p.Attempts != 2 || p.Old == nil || *p.Old != old || p.OID != head || p.AgeSeconds < 3*3600 ||
		!strings.HasPrefix(p.LastError, "pre-receive hook declined") || strings.Contains(p.LastError, "\x1b") ||
		len(p.Federations) != 1 || p.Federations[0] != "demo" {
		t.Fatalf("pending entry = %+v", p)
	}
}

// A corrupt queue is reported by status, naming the file, and what could
// be read is still shown.
func TestStatusReportsCorruptQueue(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.env.Dir = fx.work
	head := gittest.Git(t, fx.work, "rev-parse", "HEAD")
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[0], Ref: "refs/heads/kept", OID: head}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(q.Path(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("garbage\x00line")
	f.Close()
	r := fx.status(t, StatusOptions{})
	if !strings.Contains(r.errOut, q.Path()) || !strings.Contains(r.errOut, "corrupt") || !strings.Contains(r.errOut, ".corrupt-") {
		t.Errorf("stderr does not report the corrupt queue:\n%s", r.errOut)
	}
	if !strings.Contains(r.out, "refs/heads/kept") {
		t.Errorf("the readable entry is not shown:\n%s", r.out)
	}
}

// A mirror taken out of the config by hand leaves what pushes queued for
// it: status says nothing will send it and how to drop it, --exit-code
// does not count it as work left, and `remove --mirror URL` drops it.
// `remove <name> --mirror URL` takes a mirror out and drops its updates
// at once; it refuses to take the last one.
func TestQueuedForARemovedMirror(t *testing.T) {
	fx := newSyncFixture(t, 3)
	fx.env.Dir = fx.work
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	queue := func(m string) {
		if err := q.Add(t.Context(), pending.Entry{Mirror: m, Ref: "refs/heads/wip", OID: strings.Repeat("b", 40), Old: pending.Absent,
			Since: time.Now().UTC(), Reason: "the mirror could not be reached"}); err != nil {
			t.Fatal(err)
		}
	}
	queue(fx.mirrors[1])
	gittest.Git(t, "", "config", "--global", "--fixed-value", "--unset", "federation.demo.mirror", fx.mirrors[1])
	r := fx.status(t, StatusOptions{Names: []string{"demo"}, ExitCode: true})
	if want := "queued for " + fx.mirrors[1] + " (no federation has this mirror any more: nothing will send these; `git federate remove --mirror " + fx.mirrors[1] + "` drops them)"; !strings.Contains(r.out, want) || r.code != ExitOK {
		t.Errorf("status --exit-code: %d, want 0 and %q:\n%s%s", r.code, want, r.out, r.errOut)
	}
	queue(fx.mirrors[2])
	remove := func(opts RemoveOptions) runOut {
		var out, errOut bytes.Buffer
		opts.Dir = fx.work
		opts.Global = true
		err := runRemoveMirror(t.Context(), IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, opts)
		return runOut{code: exitCode(err, &errOut), out: out.String(), errOut: errOut.String()}
	}
	if r := remove(RemoveOptions{Mirror: fx.mirrors[2]}); r.code != ExitUsage || !strings.Contains(r.errOut, fx.mirrors[2]+" is a mirror of demo") {
		t.Errorf("remove --mirror of a mirror demo has: exit %d %s%s", r.code, r.out, r.errOut)
	}
	if r := remove(RemoveOptions{Mirror: fx.mirrors[1]}); r.code != ExitOK || !strings.Contains(r.out, "Dropped 1 update(s) queued for "+fx.mirrors[1]) {
		t.Errorf("remove --mirror: exit %d %s%s", r.code, r.out, r.errOut)
	}
	if r := remove(RemoveOptions{Name: "demo", Mirror: fx.mirrors[2]}); r.code != ExitOK ||
		!strings.Contains(r.out, "Removed mirror "+fx.mirrors[2]+` from "demo" in the global git config`) ||
		!strings.Contains(r.out, "Dropped 1 update(s) queued for "+fx.mirrors[2]) {
		t.Errorf("remove demo --mirror: exit %d %s%s", r.code, r.out, r.errOut)
	}
	if left, err := q.Load(); err != nil || len(left) != 0 {
		t.Errorf("the queue holds %v (%v), want nothing", left, err)
	}
	if r := remove(RemoveOptions{Name: "demo", Mirror: fx.mirrors[0]}); r.code != ExitUsage || !strings.Contains(r.errOut, "the only mirror of") {
		t.Errorf("removing the last mirror: exit %d %s%s", r.code, r.out, r.errOut)
	}
	if got := gittest.Git(t, "", "config", "--global", "--get-all", "federation.demo.mirror"); got != fx.mirrors[0] {
		t.Errorf("demo's mirrors: %q, want only %s", got, fx.mirrors[0])
	}
	if r := fx.status(t, StatusOptions{ExitCode: true}); r.code != ExitOK {
		t.Errorf("status --exit-code: %d\n%s%s", r.code, r.out, r.errOut)
	}
}
