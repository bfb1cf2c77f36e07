//go:build linux

package fedcmd

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func (fx *syncFixture) requested(prefix, method string) bool {
	for _, r := range fx.srv.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			return true
		}
	}
	return false
}

// SIGKILL of `git federate sync` while it fetches from origin and while
// it pushes to a mirror: the next sync is not blocked by a stale lock,
// finishes the work, and the cache is intact.
func TestCrashDuringSync(t *testing.T) {
	for _, tc := range []struct{ at, prefix, method string }{
		{"fetch from origin", "/origin.git/git-upload-pack", "POST"},
		{"push to mirror1", "/mirror1.git/git-receive-pack", "POST"},
	} {
		t.Run(tc.at, func(t *testing.T) {
			fx := newSyncFixture(t, 2)
			c := fx.commitOrigin(t, "main", "a.txt")
			fx.srv.AddFault(gittest.Fault{Prefix: tc.prefix, Hang: make(chan struct{})})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, fx.env.Exe, "sync", "demo")
			out, err := os.CreateTemp(t.TempDir(), "sync-output")
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			gittest.WaitFor(t, tc.at, func() bool { return fx.requested(tc.prefix, tc.method) })
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			fx.srv.ClearFaults()

			// The lock died with its process: the next sync does not wait.
			fx.env.LockWait = 0
			r := fx.sync(t, SyncOptions{})
			if r.code != ExitOK {
				t.Fatalf("sync after the crash: exit %d\n%s%s", r.code, r.out, r.errOut)
			}
			assertRef(t, fx.mirrorPath(0), "refs/heads/main", c)
			assertRef(t, fx.mirrorPath(1), "refs/heads/main", c)
			caches, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_DATA_HOME"), "git-federate", "*.git"))
			if len(caches) == 0 {
				t.Fatal("no sync cache found")
			}
			for _, dir := range caches {
				fsckClean(t, dir)
			}
		})
	}
}
