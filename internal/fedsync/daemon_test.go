package fedsync

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
)

// fakeClock moves only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	changed chan struct{}
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), changed: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	select {
	case c.changed <- struct{}{}:
	default:
	}
	return ch
}

// Advance moves time on and fires every timer that is due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// waitTimers blocks until n timers are pending: every loop has finished
// its run and gone to sleep.
func (c *fakeClock) waitTimers(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		got := len(c.waiters)
		c.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("%d timers pending, want %d", got, n)
		}
	}
}

func TestDaemonRunsEachFederationAtItsFrequency(t *testing.T) {
	// Config refuses "1 min"; a Federation built otherwise may still hold it.
	feds := map[string]time.Duration{"fast": 5 * time.Minute, "hourly": time.Hour, "tooFast": time.Minute}
	var list []*federation.Federation
	for name, d := range feds {
		f := &federation.Federation{Name: name, Options: federation.DefaultOptions()}
		f.Frequency = d
		list = append(list, f)
	}
	var mu sync.Mutex
	runs := map[string]int{}
	clock := newFakeClock()
	var logs bytes.Buffer
	d := &Daemon{
		Feds:  list,
		Clock: clock,
		Log:   slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)),
		Sync: func(_ context.Context, f *federation.Federation) *FederationResult {
			mu.Lock()
			defer mu.Unlock()
			runs[f.Name]++
			return &FederationResult{Name: f.Name}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	check := func(want map[string]int) {
		t.Helper()
		clock.waitTimers(t, len(list))
		mu.Lock()
		defer mu.Unlock()
		for k, v := range want {
			if runs[k] != v {
				t.Errorf("at %s: %s ran %d times, want %d", clock.Now().Format("15:04"), k, runs[k], v)
			}
		}
	}
	check(map[string]int{"fast": 1, "hourly": 1, "tooFast": 1}) // all at start
	clock.Advance(4 * time.Minute)
	check(map[string]int{"fast": 1, "hourly": 1, "tooFast": 1}) // "1 min" is raised to 5
	clock.Advance(time.Minute)
	check(map[string]int{"fast": 2, "hourly": 1, "tooFast": 2})
	clock.Advance(55 * time.Minute)
	check(map[string]int{"fast": 3, "hourly": 2, "tooFast": 3})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not stop on cancel")
	}
	out := logs.String()
	if n := strings.Count(out, "sync done"); n != 8 {
		t.Errorf("%d runs logged, want 8:\n%s", n, out)
	}
	if !strings.Contains(out, "sync daemon stopped") {
		t.Errorf("no stop logged:\n%s", out)
	}
}

func TestPeriod(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"2 hours": 2 * time.Hour, "3 days": 72 * time.Hour, "10": 10 * time.Minute,
	} {
		d, err := federation.ParseFrequency(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		f := &federation.Federation{}
		f.Frequency = d
		if got := Period(f); got != want {
			t.Errorf("Period(%q) = %v, want %v", in, got, want)
		}
	}
	if got := Period(&federation.Federation{}); got != federation.MinFrequency {
		t.Errorf("zero frequency: %v, want the minimum", got)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
