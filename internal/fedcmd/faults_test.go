package fedcmd

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// bigOriginCommit commits size bytes that do not compress on branch and
// pushes it to origin, so that a pack is large enough to be cut.
func (fx *syncFixture) bigOriginCommit(t *testing.T, branch string, size int) string {
	t.Helper()
	b := make([]byte, size)
	_, _ = rand.Read(b)
	gittest.Git(t, fx.work, "checkout", "-q", "-B", branch)
	oid := gittest.Commit(t, fx.work, "big.bin", base64.StdEncoding.EncodeToString(b), "big")
	gittest.Git(t, fx.work, "push", "-q", "-f", fx.srv.Path("origin.git"), branch)
	return oid
}

func fsckClean(t *testing.T, dir string) {
	t.Helper()
	if out, err := gittest.GitCombined(dir, nil, "fsck", "--no-progress", "--no-dangling"); err != nil {
		t.Fatalf("git fsck in %s: %v\n%s", dir, err, out)
	}
}

// A sync whose pack to one mirror is cut: that mirror keeps its old value
// (no half-written ref), the other is synced, the exit status is partial
// and the output names the mirror; the next sync completes.
func TestSyncCutToMirror(t *testing.T) {
	fx := newSyncFixture(t, 2)
	before := gittest.RefOf(t, fx.mirrorPath(0), "refs/heads/main")
	c := fx.bigOriginCommit(t, "main", 256<<10)
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/git-receive-pack", CutRequestAfter: 32 << 10, Count: 1})
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitPartial {
		t.Fatalf("sync with a cut mirror: exit %d, want %d\n%s%s", r.code, ExitPartial, r.out, r.errOut)
	}
	if !strings.Contains(r.out+r.errOut, fx.mirrors[0]) {
		t.Errorf("output does not name the cut mirror:\n%s%s", r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", before)
	assertRef(t, fx.mirrorPath(1), "refs/heads/main", c)
	fsckClean(t, fx.mirrorPath(0))

	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("next sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", c)
}

// A sync whose fetch from origin is cut: the federation fails naming
// origin, no mirror is touched, the cache stays usable and the next sync
// completes.
func TestSyncCutFromOrigin(t *testing.T) {
	fx := newSyncFixture(t, 1)
	before := gittest.RefOf(t, fx.mirrorPath(0), "refs/heads/main")
	c := fx.bigOriginCommit(t, "main", 256<<10)
	fx.srv.AddFault(gittest.Fault{Prefix: "/origin.git/git-upload-pack", CutAfter: 16 << 10})
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitFailure || !strings.Contains(r.out+r.errOut, fx.origin) {
		t.Fatalf("sync with origin cut: exit %d, want %d naming origin\n%s%s", r.code, ExitFailure, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", before)

	fx.srv.ClearFaults()
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("next sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", c)
}

// A mirror that hangs (at the ref listing, or on the pack) is given up
// after its own limit ([federate "<url>"] timeout); the other mirror is
// synced, the output names the hung mirror, the step and the limit's key,
// and the next sync completes.
func TestSyncHungMirror(t *testing.T) {
	for _, tc := range []struct{ step, prefix, says string }{
		{"listing", "/mirror1.git/info/refs", "listing "},
		{"pack upload", "/mirror1.git/git-receive-pack", "pushing to "},
	} {
		t.Run(tc.step, func(t *testing.T) {
			fx := newSyncFixture(t, 2)
			// The hung mirror's own limit, which its healthy listing before
			// a hung push never reaches either: the healthy servers keep
			// the default.
			key := gittest.LimitHung(t, fx.mirrors[0])
			c := fx.commitOrigin(t, "main", "a.txt")
			fx.srv.AddFault(gittest.Fault{Prefix: tc.prefix, Hang: make(chan struct{})})
			r := fx.sync(t, SyncOptions{})
			if r.code != ExitPartial || !strings.Contains(r.out, tc.says+fx.mirrors[0]) {
				t.Fatalf("sync with a hung mirror: exit %d, want %d naming the step %q\n%s%s", r.code, ExitPartial, tc.says, r.out, r.errOut)
			}
			if !strings.Contains(r.out, "Operation too slow") && !strings.Contains(r.out, "timed out") &&
				!strings.Contains(r.out, "no data moved for "+gittest.HangLimit.String()+"; gave up (the limit is "+key+")") {
				t.Errorf("output does not say the mirror stopped answering:\n%s", r.out)
			}
			assertRef(t, fx.mirrorPath(1), "refs/heads/main", c)
			fx.srv.ClearFaults()
			// Healed: it gets the generous limit back.
			gittest.Git(t, "", "config", "--global", "--unset", key)
			if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
				t.Fatalf("next sync: exit %d\n%s%s", r.code, r.out, r.errOut)
			}
			assertRef(t, fx.mirrorPath(0), "refs/heads/main", c)
		})
	}
}
