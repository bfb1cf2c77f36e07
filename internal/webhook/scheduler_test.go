package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// blocker is a Syncer whose syncs report their start on started and then
// wait for a value on release (or for their context to end).
type blocker struct {
	started chan string
	release chan error

	mu            sync.Mutex
	running, peak int
	calls         map[string]int
}

func newBlocker() *blocker {
	return &blocker{started: make(chan string, 100), release: make(chan error), calls: map[string]int{}}
}

func (b *blocker) Sync(ctx context.Context, name string) error {
	b.mu.Lock()
	b.running++
	b.peak = max(b.peak, b.running)
	b.calls[name]++
	b.mu.Unlock()
	defer func() { b.mu.Lock(); b.running--; b.mu.Unlock() }()
	b.started <- name
	select {
	case err := <-b.release:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *blocker) waitStart(t *testing.T) string {
	t.Helper()
	select {
	case n := <-b.started:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no sync started")
		return ""
	}
}

func (b *blocker) finish(t *testing.T, err error) {
	t.Helper()
	select {
	case b.release <- err:
	case <-time.After(10 * time.Second):
		t.Fatal("no sync to finish")
	}
}

func glPush(srv *Server) string {
	return do(srv, "POST", "/webhook", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", testSecret), gitlabPush).Body.String()
}

func TestCoalescing(t *testing.T) {
	b := newBlocker()
	srv := newServer(t, b, nil)
	if got := glPush(srv); got != "federation linkis: sync started\n" {
		t.Fatalf("first push: %q", got)
	}
	b.waitStart(t)
	// While it runs, any number of events add exactly one more run.
	if got := glPush(srv); got != "federation linkis: sync queued\n" {
		t.Fatalf("second push: %q", got)
	}
	for range 5 {
		if got := glPush(srv); got != "federation linkis: sync coalesced\n" {
			t.Fatalf("later push: %q", got)
		}
	}
	b.finish(t, nil)
	b.waitStart(t) // the queued run
	b.finish(t, nil)
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b.calls["linkis"] != 2 {
		t.Fatalf("linkis synced %d times, want 2", b.calls["linkis"])
	}
	// Once idle, the next event starts a fresh run... unless shut down.
	if got := glPush(srv); !strings.Contains(got, "sync closed") {
		t.Fatalf("push after shutdown: %q", got)
	}
}

func TestBoundedJobs(t *testing.T) {
	b := newBlocker()
	srv := newServer(t, b, func(c *Config) { c.Jobs = 1 })
	for _, name := range []string{"a", "b", "c"} {
		if got := srv.sched.trigger(name); got != TriggerStarted {
			t.Fatalf("trigger %s: %s", name, got)
		}
	}
	seen := map[string]bool{}
	for range 3 {
		seen[b.waitStart(t)] = true
		b.finish(t, nil)
	}
	if len(seen) != 3 {
		t.Fatalf("synced %v", seen)
	}
	srv.Shutdown(context.Background())
	if b.peak != 1 {
		t.Fatalf("%d syncs ran at once with jobs=1", b.peak)
	}
}

func TestShutdownCancelsSyncsAfterBound(t *testing.T) {
	b := newBlocker()
	var logs gittest.Buffer
	srv := newServer(t, b, func(c *Config) { c.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	srv.sched.trigger("a")
	b.waitStart(t)
	srv.sched.trigger("a") // queued: must be dropped, not run
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no time at all: running syncs are cancelled at once
	if err := srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v", err)
	}
	if b.calls["a"] != 1 {
		t.Fatalf("a synced %d times after shutdown, want 1", b.calls["a"])
	}
	if !strings.Contains(logs.String(), `msg="sync dropped: the receiver is stopping" federation=a`) {
		t.Errorf("the dropped sync is not logged:\n%s", logs.String())
	}
}

func TestShutdownWaitsForRunningSync(t *testing.T) {
	b := newBlocker()
	srv := newServer(t, b, nil)
	srv.sched.trigger("a")
	b.waitStart(t)
	done := make(chan error)
	go func() { done <- srv.Shutdown(context.Background()) }()
	b.finish(t, nil) // the sync is still allowed to finish
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m := metricsText(srv); !strings.Contains(m, `federate_syncs_total{federation="a",result="ok"} 1`) {
		t.Fatalf("metrics:\n%s", m)
	}
}

func metricsText(srv *Server) string {
	return doMetrics(srv, "GET").Body.String()
}

func TestMetrics(t *testing.T) {
	b := newBlocker()
	srv := newServer(t, b, nil)
	glPush(srv)
	b.waitStart(t)
	glPush(srv)
	glPush(srv)
	if m := metricsText(srv); !strings.Contains(m, "federate_syncs_running 1\n") {
		t.Fatalf("metrics while running:\n%s", m)
	}
	b.finish(t, fmt.Errorf("mirror refused: %w", ErrPartial))
	b.waitStart(t)
	b.finish(t, errors.New("boom"))
	do(srv, "POST", "/webhook", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "nope"), gitlabPush)
	do(srv, "GET", "/webhook", nil, "")
	srv.Shutdown(context.Background())

	resp := doMetrics(srv, "GET")
	if ct := resp.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("Content-Type %q", ct)
	}
	m := resp.Body.String()
	for _, want := range []string{
		"# TYPE federate_webhook_requests_total counter\n",
		`federate_webhook_requests_total{result="accepted"} 3` + "\n",
		`federate_webhook_requests_total{result="method_not_allowed"} 1` + "\n",
		`federate_webhook_requests_total{result="unauthorized"} 1` + "\n",
		`federate_sync_triggers_total{result="coalesced"} 1` + "\n",
		`federate_sync_triggers_total{result="queued"} 1` + "\n",
		`federate_sync_triggers_total{result="started"} 1` + "\n",
		`federate_syncs_total{federation="linkis",result="failed"} 1` + "\n",
		`federate_syncs_total{federation="linkis",result="partial"} 1` + "\n",
		"# TYPE federate_sync_duration_seconds summary\n",
		`federate_sync_duration_seconds_count{federation="linkis"} 2` + "\n",
		`federate_sync_duration_seconds_sum{federation="linkis"} `,
		`federate_last_sync_timestamp_seconds{federation="linkis"} `,
		"federate_syncs_running 0\n",
		"federate_syncs_waiting 0\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(m, "federate_last_sync_success_timestamp_seconds{") {
		t.Errorf("a success time is reported though no sync succeeded")
	}
	for _, line := range strings.Split(strings.TrimSpace(m), "\n") {
		if !strings.HasPrefix(line, "# ") && !strings.HasPrefix(line, "federate_") {
			t.Errorf("metric line without federate_ prefix: %q", line)
		}
	}
	if t.Failed() {
		t.Log(m)
	}
}

func TestLabelEscaping(t *testing.T) {
	m := NewMetrics(time.Unix(0, 0))
	m.Sync("we\"ird\\name\n", ResultOK, time.Second, time.Unix(10, 0))
	var sb strings.Builder
	m.WriteTo(&sb)
	if want := `federate_syncs_total{federation="we\"ird\\name\n",result="ok"} 1`; !strings.Contains(sb.String(), want) {
		t.Fatalf("want %s in\n%s", want, sb.String())
	}
}
