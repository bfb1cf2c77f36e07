package fedsync

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
)

// Clock is the time source of the daemon, injectable so tests can prove
// its schedule without waiting for minutes.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Daemon syncs each federation at once and then every Frequency (never
// more often than federation.MinFrequency), until its context ends.
type Daemon struct {
	Feds  []*federation.Federation
	Clock Clock        // nil is RealClock
	Log   *slog.Logger // nil is slog.Default()
	// Sync runs one federation; usually Engine.Sync with fixed Options.
	Sync func(ctx context.Context, f *federation.Federation) *FederationResult
}

// Period is how often the daemon syncs f.
func Period(f *federation.Federation) time.Duration {
	return max(f.Frequency, federation.MinFrequency)
}

// Run blocks until ctx ends (SIGTERM in `sync --daemon`), then returns
// nil once every running sync has stopped.
func (d *Daemon) Run(ctx context.Context) error {
	clock := d.Clock
	if clock == nil {
		clock = RealClock{}
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	log.Info("sync daemon started", "federations", len(d.Feds))
	var wg sync.WaitGroup
	for _, f := range d.Feds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.loop(ctx, f, clock, log)
		}()
	}
	wg.Wait()
	log.Info("sync daemon stopped")
	return nil
}

func (d *Daemon) loop(ctx context.Context, f *federation.Federation, clock Clock, log *slog.Logger) {
	period := Period(f)
	for ctx.Err() == nil {
		start := clock.Now()
		res := d.Sync(ctx, f)
		logRun(log, res, clock.Now().Sub(start), start.Add(period))
		select {
		case <-ctx.Done():
			return
		case <-clock.After(period):
		}
	}
}

func logRun(log *slog.Logger, res *FederationResult, took time.Duration, next time.Time) {
	attrs := []any{"federation", res.Name, "outcome", res.Outcome(), "fetched", res.Fetched,
		"took", took.Round(time.Millisecond), "next", next.Format(time.RFC3339)}
	pushed, kept, failed := 0, 0, 0
	for i := range res.Mirrors {
		m := &res.Mirrors[i]
		if m.err != nil {
			failed++
		}
		for _, r := range m.Refs {
			switch r.Result {
			case ResultOK:
				pushed++
			case ResultKept:
				kept++
			}
		}
	}
	attrs = append(attrs, "refs_pushed", pushed, "refs_kept", kept, "mirrors_failed", failed)
	switch {
	case res.err != nil:
		log.Error("sync failed", append(attrs, "error", res.err.Error())...)
	case res.Outcome() != "ok":
		log.Warn("sync partial", attrs...)
	default:
		log.Info("sync done", attrs...)
	}
}
