package fedcmd

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func TestStatusMissingMirrorIsNotUnreachable(t *testing.T) {
	fx := newSyncFixture(t, 2)
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/", Status: 404, Body: "not found"})
	r := fx.status(t, StatusOptions{})
	if r.code != ExitPartial || !strings.Contains(r.out, ": NOT FOUND: ") || strings.Contains(r.out, "UNREACHABLE") {
		t.Fatalf("missing mirror: exit %d, want 3 and NOT FOUND\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestSyncFailureNamesTheFederationOnce(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.srv.AddFault(gittest.Fault{Prefix: "/origin.git/", Status: 404, Body: "not found"})
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitFailure || !strings.Contains(r.out, "demo: FAILED: origin") || strings.Contains(r.out, "demo: FAILED: demo:") {
		t.Fatalf("origin missing: exit %d, want 1 and the name once\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestSyncWithoutArgumentsSaysWhatToGive(t *testing.T) {
	gittest.Isolate(t)
	r := runMain(t, t.TempDir(), "", "sync")
	if r.code != ExitUsage || !strings.Contains(r.err, "name the federations to sync, or give --all") || strings.Contains(r.err, "not both") {
		t.Errorf("sync alone: exit %d, %q", r.code, r.err)
	}
}
