//go:build unix

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

// A sync killed with SIGKILL half-way (with its children, as a crash or
// the OOM killer would) leaves nothing the next run cannot finish.
func TestSyncKilledThenRerunSucceeds(t *testing.T) {
	fx := newSyncFixture(t, 2)
	main := fx.commitOrigin(t, "main", "a.txt")
	// The pack sent to mirror2 hangs, so that the kill lands during it
	// however slow the machine (a delay could pass first).
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror2.git/git-receive-pack", Hang: make(chan struct{})})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(gittest.BinDir(t), "git-federate"), "sync", "demo")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the hung mirror's push has begun, then kill everything.
	gittest.WaitFor(t, "the push to mirror2", func() bool { return sawPush(fx, "/mirror2.git/") })
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	fx.srv.ClearFaults()

	// What a kill during a ref update or a fetch leaves behind.
	cache := filepath.Join(os.Getenv("XDG_DATA_HOME"), "git-federate", "demo.git")
	for _, f := range []string{"packed-refs.lock", "refs/heads/main.lock", "objects/pack/tmp_pack_XXXX"} {
		if err := os.WriteFile(filepath.Join(cache, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fx.commitOrigin(t, "main", "b.txt")
	main = gittest.RefOf(t, fx.srv.Path("origin.git"), "refs/heads/main")

	r := fx.sync(t, SyncOptions{})
	if r.code != ExitOK {
		t.Fatalf("rerun after SIGKILL: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	for i := range fx.mirrors {
		assertRef(t, fx.mirrorPath(i), "refs/heads/main", main)
	}
	gittest.Git(t, cache, "fsck", "--no-progress")
}

func sawPush(fx *syncFixture, prefix string) bool {
	for _, q := range fx.srv.Requests() {
		if strings.HasPrefix(q.Path, prefix) && q.Method == "POST" && strings.HasSuffix(q.Path, "/git-receive-pack") {
			return true
		}
	}
	return false
}

// `sync --daemon` syncs at once, logs the run, and stops cleanly on SIGTERM.
func TestSyncDaemonStopsOnSIGTERM(t *testing.T) {
	fx := newSyncFixture(t, 1)
	main := fx.commitOrigin(t, "main", "a.txt")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(gittest.BinDir(t), "git-federate"), "sync", "--daemon", "demo")
	logs := newLog()
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	gittest.WaitFor(t, "a run logged", func() bool { return strings.Contains(logs.String(), "sync done") })
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", main)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon after SIGTERM: %v\n%s", err, logs.String())
	}
	if out := logs.String(); !strings.Contains(out, "federation=demo") || !strings.Contains(out, "sync daemon stopped") {
		t.Errorf("log lacks the run or the stop:\n%s", out)
	}
}
