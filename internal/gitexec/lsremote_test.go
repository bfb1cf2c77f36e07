package gitexec

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

// refs.ParseLsRemote reads what a real `git ls-remote --symref` prints: the
// symref line, refs in order, peeled tags apart.
func TestParseLsRemoteOfRealServer(t *testing.T) {
	fx := newPushFixture(t)
	gittest.Git(t, fx.work, "tag", "-a", "-m", "v1", "v1")
	gittest.Git(t, fx.work, "push", "-q", fx.server, "v1")
	tag := gittest.Git(t, fx.work, "rev-parse", "v1")
	out, err := Runner{}.Output(t.Context(), "ls-remote", "--symref", "--", fx.server)
	if err != nil {
		t.Fatal(err)
	}
	a, err := refs.ParseLsRemote(out)
	if err != nil {
		t.Fatal(err)
	}
	if a.Symrefs["HEAD"] != "refs/heads/main" {
		t.Errorf("symrefs %v", a.Symrefs)
	}
	got := map[string]string{}
	for _, r := range a.Refs {
		got[r.Name] = r.OID
	}
	if got["HEAD"] != fx.first || got["refs/heads/main"] != fx.first || got["refs/tags/v1"] != tag || len(got) != 6 {
		t.Errorf("refs %v", a.Refs)
	}
	if a.Peeled["refs/tags/v1"] != fx.first {
		t.Errorf("peeled %v", a.Peeled)
	}
}

// A connection cut inside the headers of the answer to info/refs makes
// git read it as a dumb server's empty ref list and exit 0; LsRemote
// lists again, and refuses an empty listing that was not a smart answer.
// A really empty repository lists empty, with either protocol version.
func TestLsRemoteRefusesAnEmptyAnswerCutInItsHeaders(t *testing.T) {
	gittest.Isolate(t)
	srv := gittest.NewServer(t, gittest.Auth{})
	full := srv.InitBare(t, "full.git")
	empty := srv.InitBare(t, "empty.git")
	work := gittest.NewWorkRepo(t)
	gittest.Commit(t, work, "a", "a", "first")
	gittest.Git(t, work, "push", "-q", full, "HEAD:refs/heads/main")
	for _, version := range []string{"0", "2"} {
		g := Runner{Env: WithConfig(os.Environ(), "protocol.version", version)}
		g, url := g.Plain(full)
		srv.AddFault(gittest.Fault{Prefix: "/full.git/info/refs", CutAfterStatus: true, Count: 1})
		if out, err := g.LsRemote(t.Context(), url); err != nil || !strings.Contains(string(out), "refs/heads/main") {
			t.Errorf("v%s, one cut: %q %v, want main listed again", version, out, err)
		}
		srv.AddFault(gittest.Fault{Prefix: "/full.git/info/refs", CutAfterStatus: true, Count: 2})
		if out, err := g.LsRemote(t.Context(), url); !errors.Is(err, ErrNotSmart) {
			t.Errorf("v%s, two cuts: %q %v, want ErrNotSmart", version, out, err)
		}
		srv.ClearFaults()
		g, url = g.Plain(empty)
		if out, err := g.LsRemote(t.Context(), url, "--symref"); err != nil || strings.Contains(string(out), "\trefs/") {
			t.Errorf("v%s, empty repository: %q %v, want an empty listing", version, out, err)
		}
	}
}
