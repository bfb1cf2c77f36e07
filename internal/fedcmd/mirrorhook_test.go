package fedcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// A mirror whose pre-receive hook refuses what sync sends: that mirror's
// ref is reported rejected with the hook's own words (no terminal
// escape), the other mirror is synced, origin is untouched, and the run
// is partial.
func TestSyncMirrorHookRefuses(t *testing.T) {
	fx := newSyncFixture(t, 2)
	refused := gittest.RefOf(t, fx.mirrorPath(0), "refs/heads/main")
	script := "#!/bin/sh\ncat >/dev/null\nprintf '\\033]0;pwned\\007branch protected by policy\\n' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(fx.mirrorPath(0), "hooks", "pre-receive"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	main := fx.commitOrigin(t, "main", "a.txt")

	r := fx.sync(t, SyncOptions{})
	if r.code != ExitPartial {
		t.Fatalf("sync exit %d, want %d\n%s\n%s", r.code, ExitPartial, r.out, r.errOut)
	}
	all := r.out + r.errOut
	for _, want := range []string{"rejected: [remote rejected] (pre-receive hook declined): ", "branch protected by policy"} {
		if !strings.Contains(all, want) {
			t.Errorf("report lacks %q:\n%s", want, all)
		}
	}
	for _, bad := range []string{"\x1b", "\x07"} {
		if strings.Contains(all, bad) {
			t.Errorf("report holds %q:\n%q", bad, all)
		}
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", refused)
	assertRef(t, fx.mirrorPath(1), "refs/heads/main", main)
	assertRef(t, fx.srv.Path("origin.git"), "refs/heads/main", main)
}
