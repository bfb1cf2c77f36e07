package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
)

// ExecSyncer runs `<Exe> sync -- <name>` for each sync: a process per
// sync isolates one federation's failure or memory from the receiver and
// from the others, and it picks up the same config, tokens and locks as
// a `git federate sync` run by hand.
type ExecSyncer struct {
	// Exe is the git-federate binary.
	Exe string
	// Dir is where it runs ("" for the receiver's directory), so that a
	// repository's own config applies as it did to the receiver.
	Dir string
	// Env is its environment; nil means the receiver's, without
	// FEDERATE_WEBHOOK_SECRET: a sync has no use for the secret.
	Env []string
	// Totals, when set, receives the totals each run reports of itself
	// (through a file named by fedsync.TotalsEnv).
	Totals func(fedsync.Totals)
}

// SyncError is a sync process that failed. Its text carries the exit
// status and the last lines the process wrote.
type SyncError struct {
	Federation string
	ExitCode   int
	Output     string
	Err        error
}

func (e *SyncError) Error() string {
	msg := fmt.Sprintf("git federate sync %s: %v", e.Federation, e.Err)
	if e.Output != "" {
		msg += ": " + e.Output
	}
	return msg
}

// Unwrap returns ErrPartial for exit status 3, else the process error.
func (e *SyncError) Unwrap() []error {
	if e.ExitCode == 3 {
		return []error{ErrPartial, e.Err}
	}
	return []error{e.Err}
}

// readTotals hands the totals the run wrote to path, if any, to Totals.
func (x ExecSyncer) readTotals(path string) {
	data, err := os.ReadFile(path)
	var t fedsync.Totals
	if err == nil && len(data) > 0 && json.Unmarshal(data, &t) == nil {
		x.Totals(t)
	}
}

// Sync runs the sync process and waits for it. Cancelling ctx sends it
// SIGTERM, then SIGKILL ten seconds later.
func (x ExecSyncer) Sync(ctx context.Context, name string) error {
	cmd := exec.CommandContext(ctx, x.Exe, "sync", "--", name)
	cmd.Dir = x.Dir
	cmd.Env = x.Env
	if cmd.Env == nil {
		cmd.Env = withoutSecret(os.Environ())
	}
	out := &tail{max: 2048}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if x.Totals != nil {
		if f, err := os.CreateTemp("", "federate-totals-*.json"); err == nil {
			f.Close()
			defer os.Remove(f.Name())
			cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], fedsync.TotalsEnv+"="+f.Name())
			defer x.readTotals(f.Name())
		}
	}
	err := cmd.Run()
	if err == nil {
		return nil
	}
	e := &SyncError{Federation: name, ExitCode: -1, Output: strings.TrimSpace(out.String()), Err: err}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		e.ExitCode = exit.ExitCode()
	}
	if ctx.Err() != nil {
		e.Err = fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return e
}

func withoutSecret(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "FEDERATE_WEBHOOK_SECRET=") {
			out = append(out, kv)
		}
	}
	return out
}

// tail keeps the last max bytes written to it; safe for stdout and
// stderr writing at once.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
