package webhook

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
)

// fakeFederate writes a stand-in for git-federate that records its
// arguments and whether it saw the webhook secret, then exits with
// $FAKE_EXIT.
func fakeFederate(t *testing.T) (exe, record string) {
	t.Helper()
	dir := t.TempDir()
	record = filepath.Join(dir, "record")
	exe = filepath.Join(dir, "git-federate")
	script := "#!/bin/sh\nprintf '%s|' \"$@\" > '" + record + "'\n" +
		"echo \"secret=${FEDERATE_WEBHOOK_SECRET:-unset}\" >> '" + record + "'\n" +
		"echo 'mirror gitee: push refused' >&2\nexit ${FAKE_EXIT:-0}\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return exe, record
}

func TestExecSyncer(t *testing.T) {
	t.Setenv("FEDERATE_WEBHOOK_SECRET", "do-not-pass-on")
	exe, record := fakeFederate(t)
	x := ExecSyncer{Exe: exe}

	t.Setenv("FAKE_EXIT", "0")
	if err := x.Sync(context.Background(), "-weird name"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(record)
	if want := "sync|--|-weird name|secret=unset\n"; string(got) != want {
		t.Fatalf("ran with %q, want %q", got, want)
	}

	t.Setenv("FAKE_EXIT", "3")
	err := x.Sync(context.Background(), "linkis")
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "push refused") {
		t.Fatalf("exit 3: %v, want ErrPartial with the output", err)
	}

	t.Setenv("FAKE_EXIT", "1")
	err = x.Sync(context.Background(), "linkis")
	var se *SyncError
	if !errors.As(err, &se) || se.ExitCode != 1 || errors.Is(err, ErrPartial) {
		t.Fatalf("exit 1: %v", err)
	}
}

// The totals a sync process writes of its run reach the metrics.
func TestExecSyncerTotalsReachMetrics(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "git-federate")
	script := "#!/bin/sh\nprintf '{\"checked\":3,\"changed\":1,\"failed\":1,\"requests\":12,\"git_listings\":0,\"duration_seconds\":0.5}' > \"$" +
		fedsync.TotalsEnv + "\"\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(time.Now())
	x := ExecSyncer{Exe: exe, Totals: m.SyncRun}
	for range 2 {
		if err := x.Sync(context.Background(), "demo"); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"federate_sync_federations_checked_total 6\n", "federate_sync_federations_changed_total 2\n",
		"federate_sync_federations_failed_total 2\n", "federate_sync_listing_requests_total 24\n",
		"federate_sync_run_duration_seconds_sum 1\n", "federate_sync_run_duration_seconds_count 2\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}
