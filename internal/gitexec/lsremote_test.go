package gitexec

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// The parser reads what a real `git ls-remote --symref` prints: the
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
	a, err := ParseLsRemote(out)
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

func TestParseLsRemoteRefusesJunk(t *testing.T) {
	for _, junk := range []string{"garbage\n", "ref: refs/heads/main\n", "abc\trefs/heads/x\n", strings.Repeat("a", 40) + "\t\n"} {
		if _, err := ParseLsRemote([]byte(junk)); err == nil || !strings.Contains(err.Error(), "bad ls-remote line") {
			t.Errorf("%q: %v", junk, err)
		}
	}
}
