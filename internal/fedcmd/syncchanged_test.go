package fedcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// A federationset on a real forge: once a sync has left a member's
// mirrors in sync, the next `sync --all` skips it on the forge's word
// (one listing per owner, no ref listing), until origin is pushed to;
// --full lists everything again.
func TestSyncSkipsMembersTheForgeReportsUnchanged(t *testing.T) {
	gittest.Isolate(t)
	g := giteaWithOrgs(t, "up2", "down2")
	work := gittest.NewWorkRepo(t)
	push := func(name string) string {
		t.Helper()
		oid := gittest.Commit(t, work, name+".txt", name+time.Now().String()+"\n", "work on "+name)
		if _, err := gittest.GitErr(work, g.GitEnv(), "push", "-q", "-f", g.URL+"/up2/"+name+".git", "HEAD:refs/heads/main"); err != nil {
			t.Fatal(err)
		}
		return oid
	}
	for _, name := range []string{"alpha", "beta"} {
		g.API(t, "POST", "/api/v1/orgs/up2/repos", map[string]any{"name": name}, nil)
		push(name)
	}
	g.FlushQueues(t) // the forge records a push's time asynchronously
	configGlobal(t, [][2]string{
		{"federationset.grp.origin", g.URL + "/up2"},
		{"federationset.grp.mirror", g.URL + "/down2"},
		{"federationset.grp.createMissing", "true"},
		{"federate." + g.URL + ".forge", "gitea"},
	})
	sync := func(full bool) map[string]bool {
		t.Helper()
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		err := runSync(ctx, SyncOptions{IO: IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, All: true, JSON: true,
			Jobs: 2, Full: full, SyncEnv: SyncEnv{Exe: filepath.Join(gittest.BinDir(t), "git-federate"), LockWait: time.Minute}})
		if code := exitCode(err, &errOut); code != ExitOK {
			t.Fatalf("sync --all: exit %d\n%s\n%s", code, out.String(), errOut.String())
		}
		var r struct {
			Federations []struct {
				Name      string `json:"name"`
				Unchanged bool   `json:"unchanged"`
			} `json:"federations"`
		}
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON: %v\n%s", err, out.String())
		}
		skipped := map[string]bool{}
		for _, f := range r.Federations {
			skipped[f.Name] = f.Unchanged
		}
		return skipped
	}
	if s := sync(false); s["grp/alpha"] || s["grp/beta"] {
		t.Fatalf("first sync skipped a member: %v", s)
	}
	if s := sync(false); !s["grp/alpha"] || !s["grp/beta"] {
		t.Fatalf("second sync listed refs of an unchanged member: %v", s)
	}
	// The forge's clock has a resolution of a second: make the push later.
	time.Sleep(1100 * time.Millisecond)
	head := push("alpha")
	g.FlushQueues(t)
	if s := sync(false); s["grp/alpha"] || !s["grp/beta"] {
		t.Fatalf("after a push to alpha: %v, want alpha synced and beta skipped", s)
	}
	if got, err := gittest.GitErr("", g.GitEnv(), "ls-remote", g.URL+"/down2/alpha.git", "refs/heads/main"); err != nil || !strings.HasPrefix(got, head) {
		t.Errorf("mirror down2/alpha main = %q, %v; want %s", got, err, head)
	}
	if s := sync(true); s["grp/alpha"] || s["grp/beta"] {
		t.Fatalf("--full skipped a member: %v", s)
	}
}
