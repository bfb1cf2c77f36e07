package webhook

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Sync results, as metrics and logs name them.
const (
	ResultOK      = "ok"
	ResultPartial = "partial"
	ResultFailed  = "failed"
)

// Trigger outcomes.
const (
	TriggerStarted   = "started"   // no sync of the federation was running or waiting
	TriggerQueued    = "queued"    // one was; another run follows it
	TriggerCoalesced = "coalesced" // another run was already queued; nothing to add
	TriggerClosed    = "closed"    // the receiver is shutting down
)

// ErrPartial is wrapped by a Syncer's error when some mirrors failed and
// the rest was done (exit status 3 of `git federate sync`).
var ErrPartial = errors.New("partial sync")

// scheduler runs syncs in the background: at most jobs at a time, and per
// federation at most one running plus one queued, however many events
// arrive meanwhile. A push that lands while a sync runs may be missed by
// it, so exactly one more run follows; more would add nothing.
type scheduler struct {
	syncer  Syncer
	timeout time.Duration
	log     *slog.Logger
	metrics *Metrics
	slots   chan struct{}

	ctx    context.Context // parent of every sync; cancelled when shutdown runs out of time
	cancel context.CancelFunc
	stop   chan struct{} // closed when shutdown begins: queued runs are dropped
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	feds   map[string]*fedState // present while a run is waiting or running
}

type fedState struct{ again bool }

func newScheduler(s Syncer, jobs int, timeout time.Duration, log *slog.Logger, m *Metrics) *scheduler {
	if jobs < 1 {
		jobs = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &scheduler{
		syncer: s, timeout: timeout, log: log, metrics: m,
		slots: make(chan struct{}, jobs),
		ctx:   ctx, cancel: cancel,
		stop: make(chan struct{}),
		feds: map[string]*fedState{},
	}
}

// trigger asks for a sync of the federation name and returns at once,
// saying what it did.
func (s *scheduler) trigger(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return TriggerClosed
	}
	result := TriggerStarted
	if st, ok := s.feds[name]; ok {
		result = TriggerQueued
		if st.again {
			result = TriggerCoalesced
		}
		st.again = true
	} else {
		s.feds[name] = &fedState{}
		s.wg.Add(1)
		go s.loop(name)
	}
	s.metrics.Trigger(result)
	return result
}

// loop runs name's syncs until none is queued.
func (s *scheduler) loop(name string) {
	defer s.wg.Done()
	for {
		if !s.acquire() {
			s.forget(name)
			s.log.Warn("sync dropped: the receiver is stopping", "federation", name)
			return
		}
		s.runOne(name)
		<-s.slots
		if !s.again(name) {
			return
		}
	}
}

// acquire waits for a job slot; it fails once shutdown has begun.
func (s *scheduler) acquire() bool {
	s.metrics.Waiting(1)
	defer s.metrics.Waiting(-1)
	select {
	case <-s.stop:
		return false
	default:
	}
	select {
	case s.slots <- struct{}{}:
		return true
	case <-s.stop:
		return false
	}
}

// again consumes a queued run of name, or forgets name when there is
// none (or shutdown has begun), atomically with trigger.
func (s *scheduler) again(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.feds[name]
	if st.again && !s.closed {
		st.again = false
		return true
	}
	if st.again {
		s.log.Warn("sync dropped: the receiver is stopping", "federation", name)
	}
	delete(s.feds, name)
	return false
}

func (s *scheduler) forget(name string) {
	s.mu.Lock()
	delete(s.feds, name)
	s.mu.Unlock()
}

func (s *scheduler) runOne(name string) {
	ctx := s.ctx
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	s.metrics.Running(1)
	defer s.metrics.Running(-1)
	s.log.Info("sync started", "federation", name)
	start := time.Now()
	err := s.syncer.Sync(ctx, name)
	end := time.Now()
	result := ResultOK
	switch {
	case errors.Is(err, ErrPartial):
		result = ResultPartial
	case err != nil:
		result = ResultFailed
	}
	s.metrics.Sync(name, result, end.Sub(start), end)
	if err != nil {
		s.log.Warn("sync finished", "federation", name, "result", result, "duration", end.Sub(start).Round(time.Millisecond), "error", err)
		return
	}
	s.log.Info("sync finished", "federation", name, "result", result, "duration", end.Sub(start).Round(time.Millisecond))
}

// shutdown refuses new triggers, drops queued runs and waits for running
// syncs until ctx is done; then it cancels them and waits for them to
// return, which a Syncer honouring its context does at once.
func (s *scheduler) shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.log.Warn("cancelling running syncs: shutdown time limit reached")
		s.cancel()
		<-done
		return ctx.Err()
	}
}
