package delivery

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

const mirror = "https://m.example/app.git"

var (
	a = strings.Repeat("a", 40)
	b = strings.Repeat("b", 40)
	c = strings.Repeat("c", 40)
)

// listing is a server's refs: name, value, name, value…
func listing(kv ...string) *refs.Listing {
	l := &refs.Listing{}
	for i := 0; i < len(kv); i += 2 {
		l.Refs = append(l.Refs, refs.Ref{Name: kv[i], OID: kv[i+1]})
	}
	return l
}

func ff(ref, oid string) pending.Entry { return pending.Entry{Mirror: mirror, Ref: ref, OID: oid} }
func del(ref string) pending.Entry     { return pending.Entry{Mirror: mirror, Ref: ref} }
func force(ref, oid string) pending.Entry {
	return pending.Entry{Mirror: mirror, Ref: ref, OID: oid, Force: true}
}

// Decide judges each entry against the upstream's refs and the mirror's:
// the table is the one rule both the push's fan-out and sync follow.
func TestDecide(t *testing.T) {
	const main = "refs/heads/main"
	for _, tt := range []struct {
		name             string
		entry            pending.Entry
		upstream, listed *refs.Listing
		want             string // settled, stale, todo
		old              string
		lease            bool
	}{
		{"the mirror has the value", ff(main, a), listing(main, a), listing(main, a), "settled", "", false},
		{"the mirror has what a delete asks", del(main), listing(), listing(), "settled", "", false},
		{"the mirror has the upstream's newer value (sync carried it)", ff(main, a), listing(main, b), listing(main, b), "settled", "", false},
		{"the upstream came back and the mirror has it", del(main), listing(main, b), listing(main, b), "settled", "", false},
		{"the upstream deleted it, the mirror lacks it", ff(main, a), listing(), listing(), "settled", "", false},
		{"the upstream moved on", ff(main, a), listing(main, b), listing(main, c), "stale", "", false},
		{"the upstream moved on, the mirror unlisted", force(main, a), listing(main, b), nil, "stale", "", false},
		{"the upstream deleted it", ff(main, a), listing(), listing(main, c), "stale", "", false},
		{"the upstream has it again after a queued delete", del(main), listing(main, b), listing(main, c), "stale", "", false},
		{"a queued delete the mirror has done", del(main), listing(main, b), listing(), "settled", "", false},
		{"the upstream not listed", ff(main, a), nil, listing(main, c), "stale", "", false},
		{"a fast-forward needs no lease", ff(main, a), listing(main, a), listing(main, c), "todo", c, false},
		{"a create needs no lease", ff(main, a), listing(main, a), listing(), "todo", "", false},
		{"a forced update expects the listed value", force(main, a), listing(main, a), listing(main, c), "todo", c, true},
		{"a delete expects the listed value", del(main), listing(), listing(main, c), "todo", c, true},
		{"the mirror not listed: pushed as queued", force(main, a), listing(main, a), nil, "todo", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			other := pending.Entry{Mirror: "https://other.example/app.git", Ref: main, OID: a}
			p := Decide(mirror, []pending.Entry{tt.entry, other}, tt.upstream, tt.listed)
			got := map[string]int{"settled": len(p.Settled), "stale": len(p.Stale), "todo": len(p.Todo)}
			if got[tt.want] != 1 || len(p.Settled)+len(p.Stale)+len(p.Todo) != 1 {
				t.Fatalf("plan %+v, want the entry %s", p, tt.want)
			}
			if tt.want != "todo" {
				return
			}
			if td := p.Todo[0]; td.Expect != tt.old || td.Lease != tt.lease {
				t.Fatalf("todo %+v, want old %q lease %v", td, tt.old, tt.lease)
			}
			u := p.Todo[0].Update()
			if (u.Lease != nil) != tt.lease || u.Force != tt.entry.Force || u.Delete() != tt.entry.Delete() {
				t.Fatalf("update %+v for %+v", u, p.Todo[0])
			}
		})
	}
}

// Hold keeps an entry the caller cannot carry queued and untried.
func TestHold(t *testing.T) {
	up := listing("refs/heads/a", a, "refs/heads/b", b)
	p := Decide(mirror, []pending.Entry{ff("refs/heads/a", a), ff("refs/heads/b", b)}, up, nil)
	p.Hold(func(e pending.Entry) bool { return e.Ref == "refs/heads/b" })
	if len(p.Todo) != 1 || p.Todo[0].Ref != "refs/heads/a" || len(p.Stale) != 1 || p.Stale[0].Ref != "refs/heads/b" {
		t.Fatalf("plan after Hold: %+v", p)
	}
	if w := Write(Result{Plan: p}); len(w.Drop)+len(w.Queue) != 0 {
		t.Fatalf("a plan nothing was pushed for changed the queue: %+v", w)
	}
}

// gitFailure is a failed child git whose stderr says stderr.
func gitFailure(stderr string) error {
	return &gitexec.Error{Subcommand: "push", ExitCode: 128, Stderr: stderr}
}

// Failure words a push that failed as a whole by what happened, not by
// whose words reported it: a child git's and this process's client's
// words for the same failure give one reason.
func TestFailure(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{gitFailure("fatal: unable to access 'http://127.0.0.1:1/m.git/': Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server"), pending.ReasonUnreachable.String()},
		{errors.New(`Get "http://127.0.0.1:1/m.git/info/refs?service=git-receive-pack": dial tcp 127.0.0.1:1: connect: connection refused`), pending.ReasonUnreachable.String()},
		{gitFailure("ssh: connect to host 127.0.0.1 port 1: Connection refused\nfatal: Could not read from remote repository."), pending.ReasonUnreachable.String()},
		{gitFailure("remote: Repository not found.\nfatal: repository 'http://127.0.0.1/m.git/' not found"), pending.ReasonNotFound.String()},
		{errors.New("HTTP 404 Not Found"), pending.ReasonNotFound.String()},
		{gitFailure("fatal: Authentication failed for 'http://127.0.0.1/m.git/'"), pending.ReasonAuth.String()},
		{errors.New("HTTP 401 Unauthorized"), pending.ReasonAuth.String()},
		{gitFailure("error: The requested URL returned error: 403"), pending.ReasonNoWrite.String()},
		{gitFailure("error: RPC failed; HTTP 503 curl 22 The requested URL returned error: 503\nrepository is being read or written"), pending.ReasonBusy.String()},
		// Nothing was sent, for a reason on this side: not "could not be reached".
		{gitFailure("Host key verification failed.\r\nfatal: Could not read from remote repository."), pending.ReasonHostKey.String()},
		{gitFailure("fatal: transport 'ssh' not allowed"), pending.ReasonForbidden.String()},
		{gitFailure("fatal: unable to access 'https://127.0.0.1:8443/m.git/': SSL certificate problem: self-signed certificate"), pending.ReasonTLS.String()},
		{gitFailure("fatal: unable to access 'https://127.0.0.1:8443/m.git/': server certificate verification failed. CAfile: none CRLfile: none"), pending.ReasonTLS.String()},
		{errors.New(`Get "https://127.0.0.1:8443/m.git/info/refs?service=git-receive-pack": tls: failed to verify certificate: x509: certificate signed by unknown authority`), pending.ReasonTLS.String()},
		{errors.New(pending.ReasonBroke.String()), pending.ReasonBroke.String()},
		{Ours(LFSReason(errors.New("HTTP 413 too big"))), "LFS objects not uploaded: HTTP 413 too big"},
		{gitFailure("error: RPC failed; curl 28 Operation too slow. Less than 1 bytes/sec transferred the last 2 seconds"),
			"the server stopped answering during the push (Operation too slow. Less than 1 bytes/sec transferred the last 2 seconds)"},
	} {
		if got := Failure(tt.err); got != tt.want {
			t.Errorf("Failure(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// A ref a mirror refused is queued in its words, except git's two
// spellings of a mirror ref that has other commits, which are one reason.
func TestRefusal(t *testing.T) {
	for words, want := range map[string]string{
		"fetch first":               pending.ReasonDiverged.String(),
		"non-fast-forward":          pending.ReasonDiverged.String(),
		"non-fast forward":          pending.ReasonDiverged.String(),
		"pre-receive hook declined": "pre-receive hook declined",
		"stale info":                "stale info",
	} {
		if got := Refusal(words); got != want {
			t.Errorf("Refusal(%q) = %q, want %q", words, got, want)
		}
	}
}

// Write turns pushes' outcomes into the queue's new contents: one
// wording, attempts counted, the oldest time kept, nothing dropped that
// did not land.
func TestWriteback(t *testing.T) {
	since := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	queued := func(e pending.Entry, attempts int, reason string) pending.Entry {
		e.Since, e.Attempts, e.Reason = since, attempts, reason
		return e
	}
	line := func(e pending.Entry, attempts int, reason string) string {
		return string(pending.Format([]pending.Entry{queued(e, attempts, reason)}))[len(string(pending.Format(nil))):]
	}
	up := listing("refs/heads/main", b, "refs/heads/topic", a, "refs/tags/v1", a, "refs/heads/held", b)
	listed := listing("refs/heads/main", a, "refs/heads/topic", c, "refs/heads/gone", a, "refs/tags/v1", a, "refs/heads/held", a)
	for _, tt := range []struct {
		name   string
		before []pending.Entry
		result func(Plan) Result
		after  []string
	}{{
		name: "the mirror answered per ref",
		before: []pending.Entry{
			queued(ff("refs/heads/main", b), 0, pending.ReasonInterrupted.String()),
			queued(ff("refs/heads/topic", a), 1, "old words"),
			queued(del("refs/heads/gone"), 2, "old words"),
			queued(ff("refs/tags/v1", a), 1, "settled already"),
		},
		result: func(p Plan) Result {
			return Result{Plan: p, Refs: []Outcome{
				{Ref: "refs/heads/main", OID: b, OK: true},
				{Ref: "refs/heads/topic", OID: a, Reason: "fetch first"},
				{Ref: "refs/heads/gone", Reason: "pre-receive hook declined: not today"},
			}}
		},
		after: []string{
			line(del("refs/heads/gone"), 3, "pre-receive hook declined: not today"),
			line(ff("refs/heads/topic", a), 2, pending.ReasonDiverged.String()),
		},
	}, {
		name: "the mirror could not be reached",
		before: []pending.Entry{
			queued(ff("refs/heads/main", b), 0, pending.ReasonBackground.String()),
			queued(ff("refs/heads/topic", a), 1, "old words"),
		},
		result: func(p Plan) Result {
			return Result{Plan: p, Failed: gitFailure("fatal: unable to access 'x': Failed to connect to 127.0.0.1 port 1: Connection refused")}
		},
		after: []string{
			line(ff("refs/heads/main", b), 1, pending.ReasonUnreachable.String()),
			line(ff("refs/heads/topic", a), 2, pending.ReasonUnreachable.String()),
		},
	}, {
		name: "a stale entry leaves when the upstream's value lands, stays otherwise",
		before: []pending.Entry{
			queued(ff("refs/heads/main", a), 1, "old words"), // upstream has b now
			queued(ff("refs/heads/held", c), 1, "old words"), // upstream has b, nothing landed
		},
		result: func(p Plan) Result {
			return Result{Plan: p, Refs: []Outcome{{Ref: "refs/heads/main", OID: b, OK: true}}}
		},
		after: []string{line(ff("refs/heads/held", c), 1, "old words")},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			q := pending.At(filepath.Join(t.TempDir(), "pending"))
			if err := q.Update(t.Context(), func([]pending.Entry) ([]pending.Entry, error) { return tt.before, nil }); err != nil {
				t.Fatal(err)
			}
			p := Decide(mirror, tt.before, up, listed)
			if dropErr, queueErr := Write(tt.result(p)).Apply(t.Context(), q); dropErr != nil || queueErr != nil {
				t.Fatal(dropErr, queueErr)
			}
			b, err := os.ReadFile(q.Path())
			if errors.Is(err, os.ErrNotExist) {
				b, err = pending.Format(nil), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			want := string(pending.Format(nil)) + strings.Join(tt.after, "")
			if string(b) != want {
				t.Fatalf("queue:\n%s\nwant:\n%s", b, want)
			}
		})
	}
}

// What landed leaves the queue by value: a newer value queued meanwhile
// by another push stays.
func TestWritebackKeepsANewerValue(t *testing.T) {
	q := pending.At(filepath.Join(t.TempDir(), "pending"))
	e := ff("refs/heads/main", a)
	p := Decide(mirror, []pending.Entry{e}, listing(e.Ref, a), nil)
	if err := q.Add(t.Context(), ff("refs/heads/main", b)); err != nil { // written after the plan
		t.Fatal(err)
	}
	w := Write(Result{Plan: p, Refs: []Outcome{{Ref: e.Ref, OID: a, OK: true}}})
	if _, err := w.Apply(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	left, err := q.Load()
	if err != nil || len(left) != 1 || left[0].OID != b {
		t.Fatalf("queue: %+v, %v; want the newer value kept", left, err)
	}
}

// ChildResult reads a child git push's report the way the helper's own
// child push does: the ref's words, and what the server said on the way.
func TestChildResult(t *testing.T) {
	p := Plan{Mirror: mirror, Todo: []Todo{{Entry: ff("refs/heads/a", a)}, {Entry: ff("refs/heads/b", b)}}}
	res := gitexec.PushResult{Refs: map[string]gitexec.RefReport{
		"refs/heads/a": {Flag: '*', To: "refs/heads/a", Summary: "[new branch]"},
		"refs/heads/b": {Flag: '!', To: "refs/heads/b", Summary: "[remote rejected]", Reason: "pre-receive hook declined"},
	}}
	r := ChildResult(p, res, gitFailure("remote: no pushes on Sundays\nerror: failed to push some refs"))
	want := []Outcome{{Ref: "refs/heads/a", OID: a, OK: true}, {Ref: "refs/heads/b", OID: b, Reason: "pre-receive hook declined: no pushes on Sundays"}}
	if r.Failed != nil || !reflect.DeepEqual(r.Refs, want) {
		t.Fatalf("result %+v, want refs %+v", r, want)
	}
	// A remote that did not report is queued in git's word for it, as
	// the reply to git says it (gitexec.RefReport.Words).
	res.Refs["refs/heads/b"] = gitexec.RefReport{Flag: '!', To: "refs/heads/b", Summary: "[remote failure]", Reason: "remote failed to report status"}
	r = ChildResult(p, res, gitFailure("error: failed to push some refs"))
	if got := r.Refs[1].Reason; got != "expecting report" {
		t.Errorf("a remote failure is queued as %q, want git's %q", got, "expecting report")
	}
}

// After is a listing once a push took some updates: values replaced,
// deletes gone, new refs added; an unlisted server stays unlisted.
func TestAfter(t *testing.T) {
	got := After(listing("refs/heads/main", a, "refs/heads/old", a, "refs/tags/v1", b),
		map[string]string{"refs/heads/main": c, "refs/heads/old": "", "refs/heads/new": b})
	want := map[string]string{"refs/heads/main": c, "refs/tags/v1": b, "refs/heads/new": b}
	if !reflect.DeepEqual(got.Values(), want) {
		t.Fatalf("After: %v, want %v", got.Values(), want)
	}
	if After(nil, map[string]string{"refs/heads/main": c}) != nil {
		t.Fatal("an unlisted server became listed")
	}
}
