package helper

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

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
