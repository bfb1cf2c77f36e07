package fedcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

const syncToken = "s3cret-sync-token"

// syncFixture is an origin and mirrors as bare repositories on one real
// server with token auth, a work repository seeded into all of them, and
// a federation "demo" in global git config.
type syncFixture struct {
	srv     *gittest.Server
	work    string
	origin  string   // URL
	mirrors []string // URLs
	env     SyncEnv
}

func newSyncFixture(t *testing.T, nMirrors int) *syncFixture {
	t.Helper()
	gittest.Isolate(t)
	srv := gittest.NewServer(t, gittest.Auth{Token: syncToken})
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FEDERATE_TOKEN_127_0_0_1_"+u.Port(), syncToken)
	fx := &syncFixture{srv: srv, work: gittest.NewWorkRepo(t),
		env: SyncEnv{Exe: filepath.Join(gittest.BinDir(t), "git-federate"), LockWait: time.Minute}}
	fx.origin = srv.InitBare(t, "origin.git")
	paths := []string{srv.Path("origin.git")}
	for i := range nMirrors {
		name := fmt.Sprintf("mirror%d.git", i+1)
		fx.mirrors = append(fx.mirrors, srv.InitBare(t, name))
		paths = append(paths, srv.Path(name))
	}
	gittest.Git(t, fx.work, "tag", "-a", "-m", "v1", "v1")
	gittest.Seed(t, fx.work, paths...)
	gittest.Git(t, "", "config", "--global", "federation.demo.origin", fx.origin)
	for _, m := range fx.mirrors {
		gittest.Git(t, "", "config", "--global", "--add", "federation.demo.mirror", m)
	}
	return fx
}

// mirrorPath is mirror i's directory (0-based).
func (fx *syncFixture) mirrorPath(i int) string {
	return fx.srv.Path(fmt.Sprintf("mirror%d.git", i+1))
}

// commitOrigin commits in the work repository and pushes branch to origin.
func (fx *syncFixture) commitOrigin(t *testing.T, branch, file string) string {
	t.Helper()
	gittest.Git(t, fx.work, "checkout", "-q", "-B", branch)
	oid := gittest.Commit(t, fx.work, file, file+"\n", "change "+file)
	gittest.Git(t, fx.work, "push", "-q", "-f", fx.srv.Path("origin.git"), branch)
	return oid
}

// divergeMirror gives mirror i a commit on branch that origin lacks.
func (fx *syncFixture) divergeMirror(t *testing.T, i int, branch string) string {
	t.Helper()
	dir := t.TempDir()
	gittest.Git(t, "", "clone", "-q", "-b", branch, fx.mirrorPath(i), dir)
	oid := gittest.Commit(t, dir, "mirror-only.txt", "only here\n", "mirror only")
	gittest.Git(t, dir, "push", "-q", fx.mirrorPath(i), branch)
	return oid
}

type runOut struct {
	code        int
	out, errOut string
}

// sync runs runSync in process with opts filled from the fixture.
func (fx *syncFixture) sync(t *testing.T, opts SyncOptions) runOut {
	t.Helper()
	var out, errOut bytes.Buffer
	opts.IO = IO{In: strings.NewReader(""), Out: &out, Err: &errOut}
	opts.SyncEnv = fx.env
	if opts.Jobs == 0 {
		opts.Jobs = 4
	}
	if len(opts.Names) == 0 && !opts.All {
		opts.Names = []string{"demo"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := exitCode(runSync(ctx, opts), &errOut)
	return runOut{code: code, out: out.String(), errOut: errOut.String()}
}

// listingTotals runs sync --json, which must succeed, and returns how
// its listings went: requests this process sent, listings git made.
func (fx *syncFixture) listingTotals(t *testing.T) (requests, gitListings int64) {
	t.Helper()
	r := fx.sync(t, SyncOptions{JSON: true})
	if r.code != ExitOK {
		t.Fatalf("sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	var rep struct {
		Totals struct {
			Requests    int64
			GitListings int64 `json:"git_listings"`
		}
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Totals.Requests, rep.Totals.GitListings
}

// status runs runStatus in process.
func (fx *syncFixture) status(t *testing.T, opts StatusOptions) runOut {
	t.Helper()
	var out, errOut bytes.Buffer
	opts.IO = IO{In: strings.NewReader(""), Out: &out, Err: &errOut}
	opts.SyncEnv = fx.env
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := exitCode(runStatus(ctx, opts), &errOut)
	return runOut{code: code, out: out.String(), errOut: errOut.String()}
}

func decodeReport(t *testing.T, s string) syncReportJSON {
	t.Helper()
	var r syncReportJSON
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, s)
	}
	return r
}

// syncReportJSON mirrors the documented --json fields, decoded the way a
// script would.
type syncReportJSON struct {
	Federations []struct {
		Name    string `json:"name"`
		Origin  string `json:"origin"`
		Fetched bool   `json:"fetched"`
		Error   string `json:"error"`
		Mirrors []struct {
			URL    string `json:"url"`
			Error  string `json:"error"`
			Pushed bool   `json:"pushed"`
			Refs   []struct {
				Ref    string `json:"ref"`
				State  string `json:"state"`
				Action string `json:"action"`
				Origin string `json:"origin"`
				Mirror string `json:"mirror"`
				Result string `json:"result"`
				Reason string `json:"reason"`
			} `json:"refs"`
		} `json:"mirrors"`
	} `json:"federations"`
}

// refState finds ref's state and action for mirror i in a report.
func (r syncReportJSON) refState(mirror int, ref string) (state, action, result string) {
	for _, x := range r.Federations[0].Mirrors[mirror].Refs {
		if x.Ref == ref {
			return x.State, x.Action, x.Result
		}
	}
	return "", "", ""
}

// requestsSince returns the server requests after the first n.
func requestsSince(s *gittest.Server, n int) []gittest.Request {
	return s.Requests()[n:]
}

var _ = fedsync.InSync
