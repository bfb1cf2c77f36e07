package fedsync

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// runsDone blocks until the daemon has nothing running after at least
// n runs in all.
func runsDone(t *testing.T, idle <-chan int, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case got := <-idle:
			if got >= n {
				return
			}
		case <-deadline:
			t.Fatalf("fewer than %d runs ended", n)
		}
	}
}

// recorder counts the runs of each federation.
type recorder struct {
	mu   sync.Mutex
	runs map[string]int
}

func (r *recorder) sync(_ context.Context, f *federation.Federation) *FederationResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs[f.Name]++
	return &FederationResult{Name: f.Name}
}

func (r *recorder) check(t *testing.T, at string, want map[string]int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, v := range want {
		if r.runs[k] != v {
			t.Errorf("at %s: %s ran %d times, want %d", at, k, r.runs[k], v)
		}
	}
}

func federationsOf(freq map[string]time.Duration) []*federation.Federation {
	var list []*federation.Federation
	for name, d := range freq {
		f := &federation.Federation{Name: name, Options: federation.DefaultOptions()}
		f.Frequency = d
		list = append(list, f)
	}
	return list
}

// startDaemon runs d until the test ends; the channel says the runs
// ended whenever nothing runs.
func startDaemon(t *testing.T, d *Daemon) (idle <-chan int, stop func() error) {
	ch := make(chan int, 1000)
	d.idle = func(n int) { ch <- n }
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	done := make(chan struct{})
	go func() { err = d.Run(ctx); close(done) }()
	stop = func() error {
		cancel()
		select {
		case <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("daemon did not stop on cancel")
			return nil
		}
	}
	t.Cleanup(func() { cancel(); <-done })
	return ch, stop
}

func TestDaemonRunsEachFederationAtItsFrequency(t *testing.T) {
	// Config refuses "1 min"; a Federation built otherwise may still hold it.
	list := federationsOf(map[string]time.Duration{"fast": 5 * time.Minute, "hourly": time.Hour, "tooFast": time.Minute})
	rec := &recorder{runs: map[string]int{}}
	clock := gittest.NewFakeClock()
	var logs bytes.Buffer
	d := &Daemon{
		Load:  func(context.Context) (Round, error) { return Round{Feds: list, Sync: rec.sync}, nil },
		Clock: clock,
		Log:   slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)),
	}
	idle, stop := startDaemon(t, d)

	runsDone(t, idle, 3)
	rec.check(t, "00:00", map[string]int{"fast": 1, "hourly": 1, "tooFast": 1}) // all at start
	clock.Advance(4 * time.Minute)                                              // nothing is due: nothing to wait for
	rec.check(t, "00:04", map[string]int{"fast": 1, "hourly": 1, "tooFast": 1}) // "1 min" is raised to 5
	clock.Advance(time.Minute)
	runsDone(t, idle, 5)
	rec.check(t, "00:05", map[string]int{"fast": 2, "hourly": 1, "tooFast": 2})
	clock.Advance(55 * time.Minute)
	runsDone(t, idle, 8)
	rec.check(t, "01:00", map[string]int{"fast": 3, "hourly": 2, "tooFast": 3})

	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	out := logs.String()
	if n := strings.Count(out, "sync done"); n != 8 {
		t.Errorf("%d runs logged, want 8:\n%s", n, out)
	}
	if !strings.Contains(out, "sync daemon stopped") {
		t.Errorf("no stop logged:\n%s", out)
	}
}

// The daemon reads the federations again before the runs that are due:
// a federation added to the config (or a set's new repository) runs, one
// removed does not, the engine of a reading is closed once its runs are
// over, and a reading that fails leaves the last one standing. With
// nothing to sync it keeps running and reads the config again.
func TestDaemonReadsTheFederationsAgain(t *testing.T) {
	a := federationsOf(map[string]time.Duration{"a": 5 * time.Minute})
	ab := federationsOf(map[string]time.Duration{"a": 5 * time.Minute, "b": time.Hour})
	b := federationsOf(map[string]time.Duration{"b": time.Hour})
	readings := []func() ([]*federation.Federation, error){
		func() ([]*federation.Federation, error) { return nil, nil }, // nothing yet
		func() ([]*federation.Federation, error) { return a, nil },
		func() ([]*federation.Federation, error) { return ab, nil },
		func() ([]*federation.Federation, error) { return nil, errors.New("bad config line 3") },
		func() ([]*federation.Federation, error) { return b, nil },
	}
	rec := &recorder{runs: map[string]int{}}
	var mu sync.Mutex
	loads, closed := 0, 0
	clock := gittest.NewFakeClock()
	var logs bytes.Buffer
	d := &Daemon{
		Load: func(context.Context) (Round, error) {
			mu.Lock()
			defer mu.Unlock()
			feds, err := readings[min(loads, len(readings)-1)]()
			loads++
			return Round{Feds: feds, Sync: rec.sync, Close: func() { mu.Lock(); closed++; mu.Unlock() }}, err
		},
		Clock: clock,
		Log:   slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)),
	}
	idle, stop := startDaemon(t, d)
	runsDone(t, idle, 0)
	clock.Advance(5 * time.Minute) // the config has a now
	runsDone(t, idle, 1)
	rec.check(t, "00:05", map[string]int{"a": 1, "b": 0})
	clock.Advance(5 * time.Minute) // b is added
	runsDone(t, idle, 3)
	rec.check(t, "00:10", map[string]int{"a": 2, "b": 1})
	clock.Advance(5 * time.Minute) // the config cannot be read: a still runs
	runsDone(t, idle, 4)
	rec.check(t, "00:15", map[string]int{"a": 3, "b": 1})
	clock.Advance(5 * time.Minute) // a is removed
	clock.Advance(time.Hour)       // b's hour
	runsDone(t, idle, 5)
	rec.check(t, "01:20", map[string]int{"a": 3, "b": 2})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if closed != loads-1 { // every reading but the one that failed
		t.Errorf("%d readings, %d closed", loads, closed)
	}
	out := logs.String()
	for _, want := range []string{"no federation to sync", "bad config line 3", "federations read again"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q:\n%s", want, out)
		}
	}
}

// A daemon whose first reading of the config fails stops with that error.
func TestDaemonStopsWhenTheConfigCannotBeRead(t *testing.T) {
	d := &Daemon{Load: func(context.Context) (Round, error) { return Round{}, errors.New("bad config line 3") },
		Clock: gittest.NewFakeClock(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := d.Run(context.Background()); err == nil || err.Error() != "bad config line 3" {
		t.Fatalf("Run: %v", err)
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

// A run's log names each mirror that failed and why, not only a count.
func TestDaemonLogNamesTheFailedMirror(t *testing.T) {
	var logs bytes.Buffer
	res := &FederationResult{Name: "d", Mirrors: []MirrorResult{
		{URL: "https://a.example/d.git", Refs: []RefResult{{Result: ResultOK}}},
		{URL: "https://b.example/d.git", err: errors.New("listing https://b.example/d.git: connection refused"),
			Error: "listing https://b.example/d.git: connection refused"},
	}}
	logRun(slog.New(slog.NewTextHandler(&logs, nil)), res, time.Second, time.Now())
	out := logs.String()
	for _, want := range []string{`msg="mirror failed" federation=d mirror=https://b.example/d.git error="listing https://b.example/d.git: connection refused"`,
		`msg="sync partial" federation=d`, "mirrors_failed=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "mirror=https://a.example") {
		t.Errorf("a mirror that took the push is logged as failed:\n%s", out)
	}
}
