package helper

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// Every porcelain verdict maps to the reply git's transport-helper
// understands, so git prints its own report and hints.
func TestStatusOfPorcelain(t *testing.T) {
	tests := []struct {
		line string
		st   transport.Status
	}{
		{"*\trefs/heads/n:refs/heads/n\t[new branch]", transport.Status{OK: true}},
		{" \tabc:refs/heads/main\t1111111..2222222", transport.Status{OK: true}},
		{"+\tHEAD:refs/heads/main\t1111111...2222222 (forced update)", transport.Status{OK: true, Forced: true}},
		{"-\t:refs/heads/old\t[deleted]", transport.Status{OK: true}},
		{"=\trefs/heads/x:refs/heads/x\t[up to date]", transport.Status{UpToDate: true}},
		{"!\trefs/heads/main:refs/heads/main\t[rejected] (non-fast-forward)", transport.Status{Reason: transport.Said("non-fast forward")}},
		{"!\trefs/heads/main:refs/heads/main\t[rejected] (fetch first)", transport.Status{Reason: transport.Said("fetch first")}},
		{"!\tv1:refs/tags/v1\t[rejected] (already exists)", transport.Status{Reason: transport.Said("already exists")}},
		{"!\tx:refs/heads/x\t[rejected] (stale info)", transport.Status{Reason: transport.Said("stale info")}},
		{"!\tx:refs/heads/x\t[remote rejected] (hook declined (policy))", transport.Status{Reason: transport.Said("hook declined (policy)")}},
		{"!\tx:refs/heads/x\t[remote failure] (remote failed to report status)", transport.Status{Reason: transport.Said("expecting report")}},
		{"!\tx:refs/heads/x\t[no match]", transport.Status{Reason: transport.Said("no match")}},
	}
	for _, tt := range tests {
		refs := gitexec.ParsePorcelain([]byte(tt.line))
		if len(refs) != 1 {
			t.Errorf("parse %q = %+v", tt.line, refs)
			continue
		}
		if st := statusOf(refs[0]); st != tt.st {
			t.Errorf("status of %q = %+v, want %+v", tt.line, st, tt.st)
		}
	}
}

// git's "cas" options become leases on the refs they name; the zero
// object name means the ref must not exist yet.
func TestPrimaryPushLeases(t *testing.T) {
	oid := strings.Repeat("ab", 20)
	s := &Session{opts: Options{Leases: leases(t, "refs/heads/main:"+oid, "refs/heads/new:"+strings.Repeat("0", 40))}}
	p := s.primaryPush("u", []update{{Ref: "refs/heads/main", Src: "x", OID: oid, Force: true}, {Ref: "refs/heads/new", Src: "y"}, {Ref: "refs/heads/other", Src: "z"}})
	args := strings.Join(p.Args(), " ")
	for _, want := range []string{"--force-with-lease=refs/heads/main:" + oid, "--force-with-lease=refs/heads/new: ", " " + oid + ":refs/heads/main"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	if strings.Contains(args, "lease=refs/heads/other") {
		t.Errorf("args %q lease a ref git did not", args)
	}
}

func TestLineFilterDropsDuplicateErrorKeepsProgress(t *testing.T) {
	var out bytes.Buffer
	f := &lineFilter{w: &out, drop: "error: failed to push some refs to "}
	for _, chunk := range []string{"Writing objects:  50% (1/2)\rWriting", " objects: 100% (2/2), done.\n",
		"error: failed to push some refs to 'http://x'\n", "fatal: unable to access 'http://x/': 503\n", "tail"} {
		f.Write([]byte(chunk))
	}
	f.Flush()
	want := "Writing objects:  50% (1/2)\rWriting objects: 100% (2/2), done.\nfatal: unable to access 'http://x/': 503\ntail"
	if out.String() != want {
		t.Errorf("filtered = %q, want %q", out.String(), want)
	}
}

// localFed is a federation of local bare repositories (no server), for
// bytes-in, bytes-out tests of the Session.
func localFed(t *testing.T, origin string, mirrors ...string) (*Session, string) {
	gittest.Isolate(t)
	work := gittest.NewWorkRepo(t)
	f := &federation.Federation{Name: "t", Options: federation.DefaultOptions()}
	var err error
	if f.Origin, err = federation.ParseEndpoint(origin); err != nil {
		t.Fatal(err)
	}
	for _, m := range mirrors {
		ep, err := federation.ParseEndpoint(m)
		if err != nil {
			t.Fatal(err)
		}
		f.Mirrors = append(f.Mirrors, ep)
	}
	return &Session{Remote: "fed", GitDir: filepath.Join(work, ".git"), Fed: f}, work
}

func bare(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "r.git")
	gittest.Git(t, "", "init", "-q", "--bare", dir)
	return dir
}

func serve(t *testing.T, s *Session, script string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	s.Stderr = &errb
	if err := s.Serve(context.Background(), strings.NewReader(script), &out); err != nil {
		t.Fatalf("Serve: %v\nstderr:\n%s", err, errb.String())
	}
	return out.String(), errb.String()
}

func TestPushRepliesInRequestOrder(t *testing.T) {
	origin, m := bare(t), bare(t)
	s, work := localFed(t, origin, m)
	gittest.Git(t, work, "branch", "b")
	gittest.Git(t, work, "branch", "a")
	out, errOut := serve(t, s, "option verbosity 1\npush refs/heads/main:refs/heads/main\npush refs/heads/b:refs/heads/b\npush refs/heads/a:refs/heads/z\n\n")
	want := "ok\nok refs/heads/main\nok refs/heads/b\nok refs/heads/z\n\n"
	if out != want {
		t.Fatalf("stdout = %q, want %q\nstderr:\n%s", out, want, errOut)
	}
	head := gittest.Git(t, work, "rev-parse", "HEAD")
	for _, repo := range []string{origin, m} {
		if got := gittest.RefOf(t, repo, "refs/heads/z"); got != head {
			t.Errorf("%s z = %q, want %q", repo, got, head)
		}
	}
}

func TestPrimaryFailureFailsEveryRef(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such.git")
	m := bare(t)
	s, work := localFed(t, missing, m)
	gittest.Git(t, work, "branch", "b")
	out, _ := serve(t, s, "push refs/heads/main:refs/heads/main\npush +refs/heads/b:refs/heads/b\n\n")
	lines := strings.Split(out, "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "error refs/heads/main ") || !strings.HasPrefix(lines[1], "error refs/heads/b ") {
		t.Fatalf("stdout = %q", out)
	}
	if !strings.Contains(lines[0], "does not appear to be a git repository") {
		t.Errorf("reason is not git's: %q", lines[0])
	}
	if gittest.RefOf(t, m, "refs/heads/main") != "" {
		t.Error("a mirror got a ref the origin refused")
	}
}

func TestDryRunFanOutLeavesQueueAlone(t *testing.T) {
	origin := bare(t)
	gone := filepath.Join(t.TempDir(), "gone.git")
	s, _ := localFed(t, origin, gone)
	_, errOut := serve(t, s, "option dry-run true\npush refs/heads/main:refs/heads/main\n\n")
	if !strings.Contains(errOut, "federate: mirror "+gone+": push failed:") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if _, err := os.Stat(pending.Open(s.GitDir).Path()); !os.IsNotExist(err) {
		t.Errorf("dry run wrote the queue: %v", err)
	}
	if gittest.RefOf(t, origin, "refs/heads/main") != "" {
		t.Error("dry run changed origin")
	}
}

func TestAtomicDoesNotMixInQueued(t *testing.T) {
	origin, m := bare(t), bare(t)
	s, work := localFed(t, origin, m)
	head := gittest.Git(t, work, "rev-parse", "HEAD")
	// Origin took refs/heads/queued; the mirror missed it.
	gittest.Git(t, work, "push", "-q", origin, "HEAD:refs/heads/queued")
	q := pending.Open(s.GitDir)
	if err := q.Add(context.Background(), pending.Entry{Mirror: m, Ref: "refs/heads/queued", OID: head}); err != nil {
		t.Fatal(err)
	}
	serve(t, s, "option atomic true\npush refs/heads/main:refs/heads/main\n\n")
	if gittest.RefOf(t, m, "refs/heads/queued") != "" {
		t.Error("an atomic push carried a queued update")
	}
	s.opts = Options{} // a new git push is a new session
	serve(t, s, "push refs/heads/main:refs/heads/other\n\n")
	if gittest.RefOf(t, m, "refs/heads/queued") != head {
		t.Error("the next push did not deliver the queued update")
	}
	if e, _ := q.Load(); len(e) != 0 {
		t.Errorf("queue = %+v", e)
	}
}

// The primary's relay gets every push option git set; the mirrors get
// what makes them follow the primary, never its leases or signature.
func TestRelayPushOptions(t *testing.T) {
	s := &Session{opts: Options{DryRun: true, Atomic: true, PushOptions: []string{"ci.skip"},
		Leases: leases(t, "refs/heads/main:"+strings.Repeat("a", 40)), ForceIfIncludes: true, Signed: "if-asked"}}
	names := func(opts []protocol.ClientOption) string {
		var out []string
		for _, o := range opts {
			out = append(out, o.Name+"="+o.Value)
		}
		return strings.Join(out, " ")
	}
	want := "dry-run=true atomic=true push-option=ci.skip cas=refs/heads/main:" + strings.Repeat("a", 40) +
		" force-if-includes=true pushcert=if-asked"
	if got := names(s.pushOptions(true)); got != want {
		t.Errorf("primary options %q, want %q", got, want)
	}
	if got, want := names(s.pushOptions(false)), "dry-run=true atomic=true push-option=ci.skip"; got != want {
		t.Errorf("mirror options %q, want %q", got, want)
	}
	if got := names((&Session{}).pushOptions(true)); got != "" {
		t.Errorf("options when git set none: %q", got)
	}
}

// git's http helper already speaks the helper protocol: its statuses pass
// through, "ok <ref> up to date" stays up to date, and a server's
// multi-line reason is kept to one line.
func TestRelayStatus(t *testing.T) {
	tests := []struct {
		in   protocol.PushStatus
		want transport.Status
	}{
		{protocol.PushStatus{Ref: "r", OK: true}, transport.Status{OK: true}},
		{protocol.PushStatus{Ref: "r", OK: true, Msg: "up to date"}, transport.Status{UpToDate: true}},
		{protocol.PushStatus{Ref: "r", OK: true, Msg: "forced update"}, transport.Status{OK: true, Forced: true}},
		{protocol.PushStatus{Ref: "r", Msg: "non-fast forward"}, transport.Status{Reason: transport.Said("non-fast forward")}},
		{protocol.PushStatus{Ref: "r", Msg: "hook declined\nsecond line"}, transport.Status{Reason: transport.Said("hook declined")}},
		{protocol.PushStatus{Ref: "r"}, transport.Status{Reason: transport.Said("rejected")}},
	}
	for _, tt := range tests {
		if got := relayStatus(tt.in); got != tt.want {
			t.Errorf("relayStatus(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// leases are git's "cas" options vs, parsed as the option command does.
func leases(t *testing.T, vs ...string) transport.Leases {
	t.Helper()
	var out transport.Leases
	for _, v := range vs {
		l, err := transport.ParseLease(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}
