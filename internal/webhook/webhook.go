// Package webhook is the receiver behind `git federate serve`: it takes
// push webhooks from GitHub, Gitea, GitLab and Gitee, checks that they
// carry the shared secret, finds the federations whose origin or mirror
// the event names, and syncs them in the background — at most a few at a
// time, and never more than one queued run per federation.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// Syncer brings the mirrors of one federation up to date. Sync must
// return soon after ctx is cancelled.
type Syncer interface {
	Sync(ctx context.Context, name string) error
}

// SyncerFunc adapts a function to Syncer.
type SyncerFunc func(ctx context.Context, name string) error

// Sync calls f.
func (f SyncerFunc) Sync(ctx context.Context, name string) error { return f(ctx, name) }

// Defaults for Config's zero values.
const (
	DefaultMaxBody         = 1 << 20 // bytes; GitHub caps payloads at 25 MB but push payloads are small
	DefaultJobs            = 2
	DefaultSyncTimeout     = 30 * time.Minute
	DefaultShutdownTimeout = time.Minute
	DefaultHeaderTimeout   = 10 * time.Second
	DefaultReadTimeout     = 30 * time.Second
)

// Config configures a Server.
type Config struct {
	// Secret is the shared webhook secret. It may be empty only when
	// Insecure is set, and then requests are not authenticated at all.
	Secret   []byte
	Insecure bool
	// Federations returns the current configuration; it is called for
	// every authenticated event, so edits to git config apply at once.
	Federations func(ctx context.Context) (*federation.Config, error)
	// Syncer runs one federation's sync.
	Syncer Syncer
	// Jobs bounds how many syncs run at once (DefaultJobs when 0).
	Jobs int
	// SyncTimeout bounds one sync (DefaultSyncTimeout when 0).
	SyncTimeout time.Duration
	// ShutdownTimeout bounds how long Serve waits for running syncs
	// once ctx is cancelled, before it cancels them.
	ShutdownTimeout time.Duration
	// MaxBody is the largest request body accepted (DefaultMaxBody when 0).
	MaxBody int64
	// HeaderTimeout bounds how long a client may take to send a
	// request's headers, ReadTimeout the whole request
	// (DefaultHeaderTimeout, DefaultReadTimeout when 0): a sender that
	// stalls loses its connection rather than hold one of MaxConns.
	HeaderTimeout, ReadTimeout time.Duration
	// MaxConns bounds the idle connections Serve keeps open at once
	// (DefaultMaxConns when 0), MaxIdlePerClient those from one address
	// (DefaultMaxIdlePerClient when 0): every connection is accepted at
	// once, and over either bound the oldest idle one is closed. A
	// connection is idle until its request's headers are in, and
	// between requests.
	MaxConns, MaxIdlePerClient int
	// IdleGrace is how long a connection may be idle before it can be
	// closed to make room (DefaultIdleGrace when 0; negative: none): a
	// burst of deliveries from one address (a forge, a reverse proxy)
	// is not cut while its headers are on the way.
	IdleGrace time.Duration
	// Log receives one line per request and per sync (slog.Default() when nil).
	Log *slog.Logger
	// Now is the clock for Gitee's signature timestamps (time.Now when nil).
	Now func() time.Time
}

// Server is a webhook receiver. Use Handler to mount it, or Serve.
type Server struct {
	cfg     Config
	verify  verifier
	sched   *scheduler
	metrics *Metrics
	log     *slog.Logger
	mux     *http.ServeMux
	conns   connStats // of Serve's listener
	seen    deliveries
}

// ErrNoSecret is returned by New when no secret is configured and
// Insecure is not set.
var ErrNoSecret = errors.New("no webhook secret configured")

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if len(cfg.Secret) == 0 && !cfg.Insecure {
		return nil, ErrNoSecret
	}
	if cfg.Federations == nil || cfg.Syncer == nil {
		return nil, errors.New("webhook: Config.Federations and Config.Syncer are required")
	}
	if cfg.Jobs == 0 {
		cfg.Jobs = DefaultJobs
	}
	if cfg.SyncTimeout == 0 {
		cfg.SyncTimeout = DefaultSyncTimeout
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxIdlePerClient == 0 {
		cfg.MaxIdlePerClient = DefaultMaxIdlePerClient
	}
	if cfg.IdleGrace == 0 {
		cfg.IdleGrace = DefaultIdleGrace
	}
	if cfg.HeaderTimeout == 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Log, metrics: NewMetrics(cfg.Now())}
	s.verify = verifier{secret: cfg.Secret, now: cfg.Now}
	s.sched = newScheduler(cfg.Syncer, cfg.Jobs, cfg.SyncTimeout, cfg.Log, s.metrics)
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/webhook", s.webhook)
	s.mux.HandleFunc("/healthz", s.healthz)
	return s, nil
}

// Handler serves POST /webhook and GET /healthz: what the forges must
// reach. The metrics are not there: they name every federation.
func (s *Server) Handler() http.Handler { return s.mux }

// MetricsHandler serves GET /metrics, for a listener of its own that
// only the monitoring reaches (ServeMetrics).
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", s.serveMetrics)
	return mux
}

// ServeMetrics answers GET /metrics on ln until ctx is cancelled.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.MetricsHandler(),
		ReadHeaderTimeout: s.cfg.HeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       s.cfg.HeaderTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("metrics listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serving metrics: %w", err)
	case <-ctx.Done():
	}
	hctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(hctx); err != nil {
		srv.Close()
	}
	return nil
}

// Metrics returns the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Shutdown stops starting syncs and waits for running ones until ctx is
// done, then cancels them. Serve calls it; a caller of Handler must.
func (s *Server) Shutdown(ctx context.Context) error { return s.sched.shutdown(ctx) }

// Serve answers on ln until ctx is cancelled, then stops accepting
// requests, lets those in flight finish (up to 10 s), and waits for
// running syncs up to Config.ShutdownTimeout before cancelling them.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	g := newGuard(ln, &s.conns, s.cfg.MaxConns, s.cfg.MaxIdlePerClient, s.cfg.IdleGrace)
	srv := &http.Server{
		Handler: g.busyWhileServed(s.mux),
		// The first byte and the whole headers within HeaderTimeout,
		// the next request on a kept connection too.
		ReadHeaderTimeout: s.cfg.HeaderTimeout,
		IdleTimeout:       s.cfg.HeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(g) }()
	// The limits in effect, so that an operator (and a test) sees the
	// flags were taken without timing a stalled sender.
	s.log.Info("listening", "addr", ln.Addr().String(),
		"header_timeout", s.cfg.HeaderTimeout, "read_timeout", s.cfg.ReadTimeout)
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	hctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(hctx); err != nil {
		srv.Close()
	}
	sctx, cancel2 := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel2()
	if err := s.Shutdown(sctx); err != nil {
		s.log.Warn("running syncs were cancelled", "error", err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serving webhooks: %w", serveErr)
	}
	return nil
}

// Request results, as federate_webhook_requests_total names them.
const (
	ReqAccepted         = "accepted"
	ReqNoFederation     = "no_federation"
	ReqIgnored          = "ignored"
	ReqPing             = "ping"
	ReqDuplicate        = "duplicate"
	ReqUnauthorized     = "unauthorized"
	ReqBadRequest       = "bad_request"
	ReqTooLarge         = "too_large"
	ReqMethodNotAllowed = "method_not_allowed"
	ReqError            = "error"
)

// webhook handles POST /webhook. Every answer is a short line of text;
// none says anything about the configuration to an unauthenticated
// sender.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reply(w, r, http.StatusMethodNotAllowed, ReqMethodNotAllowed, "only POST is accepted")
		return
	}
	// Headers first: a request that is not a signed webhook costs no
	// body read and no body memory.
	ev, err := detect(r.Header)
	if err != nil {
		s.reply(w, r, http.StatusBadRequest, ReqBadRequest, err.Error())
		return
	}
	if !s.cfg.Insecure {
		if err := s.verify.precheck(ev, r.Header); err != nil {
			s.reply(w, r, http.StatusUnauthorized, ReqUnauthorized, err.Error(), "forge", ev.Forge)
			return
		}
	}
	if r.ContentLength > s.cfg.MaxBody {
		s.reply(w, r, http.StatusRequestEntityTooLarge, ReqTooLarge, fmt.Sprintf("body larger than %d bytes", s.cfg.MaxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.reply(w, r, http.StatusRequestEntityTooLarge, ReqTooLarge, fmt.Sprintf("body larger than %d bytes", s.cfg.MaxBody))
			return
		}
		s.reply(w, r, http.StatusBadRequest, ReqBadRequest, "cannot read body")
		return
	}
	if !s.cfg.Insecure {
		if err := s.verify.verify(ev, r.Header, body); err != nil {
			s.reply(w, r, http.StatusUnauthorized, ReqUnauthorized, err.Error(), "forge", ev.Forge)
			return
		}
	}
	// A signed delivery that started a sync before is a replay (or a
	// redelivery of one acted on): answered 200 so the forge does not
	// retry, and not acted on. One that was not acted on (no federation
	// yet, the config unreadable, the receiver stopping) is acted on when
	// it comes again: GitHub's Redeliver sends it with the same ID. Only
	// signed requests are remembered, so no one can fill the memory with
	// IDs.
	id := ""
	if !s.cfg.Insecure {
		id = deliveryID(r.Header)
	}
	if id != "" && s.seen.seenBefore(id, s.cfg.Now()) {
		s.reply(w, r, http.StatusOK, ReqDuplicate, "duplicate delivery "+id+" ignored", "forge", ev.Forge)
		return
	}
	switch {
	case ev.isPing():
		s.reply(w, r, http.StatusOK, ReqPing, "pong", "forge", ev.Forge)
		return
	case !ev.changesRefs():
		s.reply(w, r, http.StatusOK, ReqIgnored, fmt.Sprintf("event %q ignored: only pushes trigger a sync", ev.Name), "forge", ev.Forge)
		return
	}
	urls, err := repoURLs(r.Header.Get("Content-Type"), body)
	if err != nil {
		s.reply(w, r, http.StatusBadRequest, ReqBadRequest, err.Error(), "forge", ev.Forge)
		return
	}
	s.dispatch(w, r, ev, urls, id)
}

// dispatch triggers a sync of every federation that urls name, and
// records delivery id ("": none) once a sync is triggered.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, ev event, urls []string, id string) {
	cfg, err := s.cfg.Federations(r.Context())
	if cfg == nil {
		s.log.Error("cannot read federation config", "error", err)
		s.reply(w, r, http.StatusInternalServerError, ReqError, "cannot read the federation configuration; see the receiver's log")
		return
	}
	if err != nil {
		// Some sections are broken; the rest still works.
		s.log.Warn("federation config has errors", "error", err)
	}
	names := Match(cfg, urls)
	if len(names) == 0 {
		s.reply(w, r, http.StatusAccepted, ReqNoFederation, "no federation for "+urls[0], "forge", ev.Forge, "event", ev.Name, "url", redact.URL(urls[0]))
		return
	}
	var lines []string
	status := http.StatusAccepted
	for _, n := range names {
		res := s.sched.trigger(n)
		if res == TriggerClosed {
			status = http.StatusServiceUnavailable
		} else if id != "" {
			s.seen.record(id, s.cfg.Now())
		}
		lines = append(lines, fmt.Sprintf("federation %s: sync %s", n, res))
	}
	result := ReqAccepted
	if status != http.StatusAccepted {
		result = ReqError
	}
	s.reply(w, r, status, result, strings.Join(lines, "\n"), "forge", ev.Forge, "event", ev.Name, "federations", names)
}

// reply writes msg as the plain-text answer, counts the request and logs
// it. The log names the remote address, never a header value.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, code int, result, msg string, attrs ...any) {
	s.metrics.Request(result)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
	level := slog.LevelInfo
	if code >= 400 {
		level = slog.LevelWarn
	}
	args := append([]any{"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "status", code, "result", result}, attrs...)
	if code >= 400 {
		args = append(args, "reason", msg)
	}
	s.log.Log(r.Context(), level, "webhook", args...)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "only GET is accepted", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "only GET is accepted", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.WriteTo(w)
}
