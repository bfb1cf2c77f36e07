package fedcmd

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/shard"
)

// `sync --all --shard K/N` over every K syncs each federation exactly once,
// on the shard the hash assigns it; `/N` takes K from an Indexed Job.
func TestSyncShardsSplitAllFederations(t *testing.T) {
	fx := newSyncFixture(t, 0)
	fx.commitOrigin(t, "main", "a.txt")
	var all []string
	for i := range 6 {
		name := fmt.Sprintf("fed%d", i)
		mirror := fx.srv.InitBare(t, name+".git")
		gittest.Git(t, "", "config", "--global", "federation."+name+".origin", fx.origin)
		gittest.Git(t, "", "config", "--global", "federation."+name+".mirror", mirror)
		all = append(all, name)
	}
	all = append(all, "demo") // the fixture's own, with no mirror
	const n = 3
	seen := map[string]int{}
	for k := range n {
		var r runOut
		if k == 2 {
			t.Setenv(shard.EnvIndex, "2")
			r = fx.sync(t, SyncOptions{All: true, JSON: true, Shard: fmt.Sprintf("/%d", n)})
		} else {
			r = fx.sync(t, SyncOptions{All: true, JSON: true, Shard: fmt.Sprintf("%d/%d", k, n)})
		}
		if r.code != ExitOK {
			t.Fatalf("shard %d/%d: exit %d\n%s\n%s", k, n, r.code, r.out, r.errOut)
		}
		for _, f := range decodeReport(t, r.out).Federations {
			seen[f.Name]++
			if got := shard.Of(f.Name, n); got != k {
				t.Errorf("%s synced by shard %d, belongs to %d", f.Name, k, got)
			}
		}
	}
	var missing []string
	for _, name := range all {
		if seen[name] != 1 {
			missing = append(missing, fmt.Sprintf("%s×%d", name, seen[name]))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("not synced exactly once across the shards: %s", strings.Join(missing, ", "))
	}
}

func TestSyncShardNeedsAll(t *testing.T) {
	fx := newSyncFixture(t, 1)
	if r := fx.sync(t, SyncOptions{Shard: "0/2"}); r.code != ExitUsage || !strings.Contains(r.errOut, "--all") {
		t.Errorf("--shard with a name: exit %d, want 2 and a word about --all\n%s", r.code, r.errOut)
	}
	if r := fx.sync(t, SyncOptions{All: true, Shard: "2/2"}); r.code != ExitUsage || !strings.Contains(r.errOut, "K/N") {
		t.Errorf("--shard 2/2: exit %d, want 2 and the syntax\n%s", r.code, r.errOut)
	}
}
