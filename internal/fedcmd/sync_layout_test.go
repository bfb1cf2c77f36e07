package fedcmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// A sync run in a repository whose config holds the federations reads
// them in its own `git config` run; the git processes it starts for a
// changed federation (the fetch into its cache, the pushes, pack-objects)
// run in the cache and do not read them, and with nothing queued there
// no `git rev-parse` looks for the repository. From the global config every
// one of them reads them, twice: with 10,000 federations there, each
// changed federation cost 1.8 s more (docs/operations.md, "Where the
// federations live"). git's trace2 names the processes that saw a
// federation key.
func TestSyncChildrenReadNoFederationsOfTheRepository(t *testing.T) {
	for _, layout := range []string{"repository", "global"} {
		t.Run(layout, func(t *testing.T) {
			fx := newSyncFixture(t, 2)
			dir := t.TempDir() // outside any repository
			if layout == "repository" {
				dir = filepath.Join(t.TempDir(), "federations.git")
				gittest.Git(t, "", "init", "-q", "--bare", dir)
				gittest.Git(t, dir, "config", "federation.demo.origin", fx.origin)
				for _, m := range fx.mirrors {
					gittest.Git(t, dir, "config", "--add", "federation.demo.mirror", m)
				}
				gittest.Git(t, "", "config", "--global", "--remove-section", "federation.demo")
			}
			want := fx.commitOrigin(t, "main", "changed.txt")

			readers, all := syncTraced(t, dir)
			for i := range fx.mirrors {
				if got := gittest.RefOf(t, fx.mirrorPath(i), "refs/heads/main"); got != want {
					t.Fatalf("mirror %d: main %q, origin %q", i+1, got, want)
				}
			}
			if !slices.Contains(all, "fetch") || !slices.Contains(all, "pack-objects") {
				t.Fatalf("the sync ran no fetch and pack-objects: %v", all)
			}
			children := slices.DeleteFunc(slices.Clone(readers), func(cmd string) bool { return cmd == "config" })
			if layout == "repository" && slices.Contains(all, "rev-parse") {
				// Nothing is queued there: the files say so, without the
				// git process that reads the federations once more.
				t.Errorf("the sync asked git for the repository's pending queue, and none is there: %v", all)
			}
			switch {
			case layout == "repository" && len(children) > 0:
				t.Errorf("git processes of the sync read the federations of the repository it ran in: %v (of %v)", children, all)
			case layout == "global" && !slices.Contains(children, "fetch"):
				t.Errorf("from the global config, the sync's fetch should have read the federations: %v (of %v)", readers, all)
			}
		})
	}
}

// syncTraced runs `git federate sync --all` in dir with git's trace2
// events on (which hold every child's command line: no token), and returns the git commands that saw federation.demo.origin
// and every git command that ran, sorted.
func syncTraced(t *testing.T, dir string) (readers, all []string) {
	t.Helper()
	events := filepath.Join(t.TempDir(), "trace2.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(gittest.BinDir(t), "git-federate"), "sync", "--all")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TRACE2_EVENT="+events, "GIT_TRACE2_CONFIG_PARAMS=federation.*.origin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sync --all: %v\n%s", err, out)
	}
	data, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(syncToken)) {
		t.Errorf("git's trace2 events of the sync's processes hold the token")
	}
	names, saw := map[string]string{}, map[string]bool{}
	s := bufio.NewScanner(bytes.NewReader(data))
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		var e struct{ Event, SID, Name, Param string }
		if json.Unmarshal(s.Bytes(), &e) != nil {
			continue
		}
		switch e.Event {
		case "cmd_name":
			names[e.SID] = e.Name
		case "def_param":
			saw[e.SID] = saw[e.SID] || e.Param == "federation.demo.origin"
		}
	}
	for sid, name := range names {
		all = append(all, name)
		if saw[sid] {
			readers = append(readers, name)
		}
	}
	sort.Strings(all)
	sort.Strings(readers)
	return readers, all
}
