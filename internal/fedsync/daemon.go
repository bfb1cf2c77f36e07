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
// Before it starts the runs that are due it reads the federations again
// (Load): an edit of the config, a set's new repository, a push a
// forge reports, a token logged in again and a set that could not be
// listed are all seen by the next run, and a federation removed from
// the config is not run again.
type Daemon struct {
	// Load reads the federations to sync and builds what syncs them.
	// Its error before the first run ends Run; later, the last reading
	// stands and the error is logged.
	Load  func(ctx context.Context) (Round, error)
	Clock Clock        // nil is RealClock
	Log   *slog.Logger // nil is slog.Default()

	idle func(done int) // tests: nothing runs; done runs have ended
}

// Round is one reading of the federations.
type Round struct {
	Feds []*federation.Federation
	// Sync runs one federation; usually Engine.Sync with fixed Options.
	Sync func(ctx context.Context, f *federation.Federation) *FederationResult
	// Close, when set, releases what Sync holds (its Engine); it is
	// called once no run of the round is left.
	Close func()
}

// Period is how often the daemon syncs f.
func Period(f *federation.Federation) time.Duration {
	return max(f.Frequency, federation.MinFrequency)
}

// Run blocks until ctx ends (SIGTERM in `sync --daemon`), then returns
// nil once every running sync has stopped.
func (d *Daemon) Run(ctx context.Context) error {
	s := &schedule{clock: d.Clock, log: d.Log, last: map[string]time.Time{}, running: map[string]bool{},
		finished: make(chan struct{}, 1)}
	if s.clock == nil {
		s.clock = RealClock{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	r, err := d.Load(ctx)
	if err != nil {
		return err
	}
	s.log.Info("sync daemon started", "federations", len(r.Feds))
	cur := s.begin(r, -1)
	for {
		s.startDue(ctx, cur)
		timer := s.clock.After(s.wait(cur.Feds))
		if n, idle := s.idle(); idle && d.idle != nil {
			d.idle(n)
		}
		select {
		case <-ctx.Done():
			s.end(cur)
			s.wg.Wait()
			s.log.Info("sync daemon stopped")
			return nil
		case <-timer:
		case <-s.finished:
		}
		if !s.anyDue(cur.Feds) {
			continue
		}
		r, err := d.Load(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("reading the federations again failed; the last reading stands", "error", err)
			}
			continue
		}
		if len(r.Feds) != len(cur.Feds) {
			s.log.Info("federations read again", "federations", len(r.Feds))
		}
		s.end(cur)
		cur = s.begin(r, len(cur.Feds))
	}
}

// schedule is when each federation last started, and which run now.
type schedule struct {
	clock    Clock
	log      *slog.Logger
	mu       sync.Mutex
	last     map[string]time.Time // by federation name: its last run's start
	running  map[string]bool
	done     int            // runs ended
	finished chan struct{}  // a run ended: what it held back may be due
	wg       sync.WaitGroup // runs, and rounds being closed
}

// round is a Round and its runs still going.
type round struct {
	Round
	runs sync.WaitGroup
}

// begin starts the round of r; before is how many federations the last
// one had (-1: none came before), so that "nothing to sync" is said once.
func (s *schedule) begin(r Round, before int) *round {
	if len(r.Feds) == 0 && before != 0 {
		s.log.Warn("no federation to sync; the configuration is read again", "every", federation.MinFrequency)
	}
	return &round{Round: r}
}

// end closes g once its last run is over.
func (s *schedule) end(g *round) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		g.runs.Wait()
		if g.Close != nil {
			g.Close()
		}
	}()
}

// idle reports the runs ended, and whether none runs now.
func (s *schedule) idle() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done, len(s.running) == 0
}

// due reports whether f is to run at now; s.mu is held.
func (s *schedule) due(f *federation.Federation, now time.Time) bool {
	if s.running[f.Name] {
		return false
	}
	last, ok := s.last[f.Name]
	return !ok || !now.Before(last.Add(Period(f)))
}

// anyDue reports whether a federation of feds is due now, or there is
// none: the configuration is read again then.
func (s *schedule) anyDue(feds []*federation.Federation) bool {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range feds {
		if s.due(f, now) {
			return true
		}
	}
	return len(feds) == 0
}

// wait is how long until the next federation of feds is due (one not
// running), at most federation.MinFrequency.
func (s *schedule) wait(feds []*federation.Federation) time.Duration {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	wait := federation.MinFrequency
	for _, f := range feds {
		if last, ok := s.last[f.Name]; ok && !s.running[f.Name] {
			wait = min(wait, last.Add(Period(f)).Sub(now))
		}
	}
	return max(wait, 0)
}

// startDue starts the runs of g's federations that are due; none once
// ctx has ended.
func (s *schedule) startDue(ctx context.Context, g *round) {
	if ctx.Err() != nil {
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range g.Feds {
		if !s.due(f, now) {
			continue
		}
		s.running[f.Name], s.last[f.Name] = true, now
		s.wg.Add(1)
		g.runs.Add(1)
		go func() {
			defer s.wg.Done()
			defer g.runs.Done()
			res := g.Sync(ctx, f)
			if ctx.Err() != nil {
				s.log.Info("sync interrupted", "federation", f.Name)
			} else {
				logRun(s.log, res, s.clock.Now().Sub(now), now.Add(Period(f)))
			}
			s.mu.Lock()
			delete(s.running, f.Name)
			s.done++
			s.mu.Unlock()
			select {
			case s.finished <- struct{}{}:
			default:
			}
		}()
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
	for i := range res.Mirrors {
		if m := &res.Mirrors[i]; m.err != nil {
			log.Warn("mirror failed", "federation", res.Name, "mirror", m.URL, "error", m.Error)
		}
	}
	switch {
	case res.err != nil:
		log.Error("sync failed", append(attrs, "error", res.err.Error())...)
	case res.Outcome() != "ok":
		log.Warn("sync partial", attrs...)
	default:
		log.Info("sync done", attrs...)
	}
}
