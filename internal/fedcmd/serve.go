package fedcmd

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/webhook"
)

// SecretEnv is the variable that holds the webhook secret when
// --secret-file is not given. The help texts spell it out: the catalog
// finds a help text only when it is one string literal.
const SecretEnv = "FEDERATE_WEBHOOK_SECRET"

// serveOptions are the flags of `git federate serve`.
type serveOptions struct {
	IO     IO
	Listen string
	// MetricsListen, when set, is the address of the listener of its
	// own that serves GET /metrics; the webhook port never does.
	MetricsListen   string
	SecretFile      string
	Insecure        bool
	Jobs            int
	SyncTimeout     time.Duration
	ShutdownTimeout time.Duration
	// HeaderTimeout and ReadTimeout bound how long a sender may take
	// over a request's headers and over the whole request (the
	// webhook package's defaults when 0).
	HeaderTimeout, ReadTimeout time.Duration
	// Syncer runs syncs; nil means newSyncer's.
	Syncer webhook.Syncer
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// Ready, when set, is told the address once the receiver listens.
	Ready func(net.Addr)
}

// serveCommand is `git federate serve`.
func serveCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "receive push webhooks and sync the federation they name",
		UsageText: "git federate serve --listen ADDR [--metrics-listen ADDR] [--secret-file F] [--jobs N] [--sync-timeout D] [--header-timeout D] [--read-timeout D] [--shutdown-timeout D] [--insecure-no-secret]",
		Description: "Answers POST /webhook for GitHub, Gitea, GitLab and Gitee push events, and\n" +
			"syncs every federation whose origin or mirror is the pushed repository.\n" +
			"The shared secret comes from --secret-file or FEDERATE_WEBHOOK_SECRET.\n" +
			"GET /healthz answers \"ok\". Prometheus metrics, which name every federation,\n" +
			"are served at GET /metrics only on --metrics-listen, e.g. 127.0.0.1:9090.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Usage: "address to listen on, e.g. 127.0.0.1:8080 or :8080 (required)"},
			&cli.StringFlag{Name: "metrics-listen", Usage: "address of a listener of its own for GET /metrics, e.g. 127.0.0.1:9090 (off when not given; keep it off the public network)"},
			&cli.StringFlag{Name: "secret-file", Usage: "file holding the webhook secret (else $FEDERATE_WEBHOOK_SECRET)"},
			&cli.BoolFlag{Name: "insecure-no-secret", Usage: "accept unauthenticated webhooks (anyone who can reach ADDR can trigger syncs)"},
			&cli.IntFlag{Name: "jobs", Value: webhook.DefaultJobs, Usage: "syncs run at once"},
			&cli.DurationFlag{Name: "sync-timeout", Value: webhook.DefaultSyncTimeout, Usage: "time limit of one sync"},
			&cli.DurationFlag{Name: "shutdown-timeout", Value: webhook.DefaultShutdownTimeout, Usage: "on SIGTERM, how long to wait for running syncs before cancelling them"},
			&cli.DurationFlag{Name: "header-timeout", Value: webhook.DefaultHeaderTimeout, Usage: "drop a sender that has not sent a request's headers within this time (at least 1s)"},
			&cli.DurationFlag{Name: "read-timeout", Value: webhook.DefaultReadTimeout, Usage: "drop a sender that has not sent a whole request, headers and body, within this time (at least 1s)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return UsageError("serve takes no arguments, got %q", c.Args().First())
			}
			if c.String("listen") == "" {
				return UsageError("serve needs --listen ADDR, e.g. --listen 127.0.0.1:8080")
			}
			if err := checkReadLimits(c.Duration("header-timeout"), c.Duration("read-timeout")); err != nil {
				return err
			}
			return runServe(c.Context, serveOptions{
				IO:              stdio,
				Listen:          c.String("listen"),
				MetricsListen:   c.String("metrics-listen"),
				SecretFile:      c.String("secret-file"),
				Insecure:        c.Bool("insecure-no-secret"),
				Jobs:            c.Int("jobs"),
				SyncTimeout:     c.Duration("sync-timeout"),
				ShutdownTimeout: c.Duration("shutdown-timeout"),
				HeaderTimeout:   c.Duration("header-timeout"),
				ReadTimeout:     c.Duration("read-timeout"),
			})
		},
	}
}

// checkReadLimits refuses --header-timeout and --read-timeout under a
// second, and a read limit shorter than the header limit it includes.
func checkReadLimits(header, read time.Duration) error {
	for _, l := range []struct {
		flag string
		d    time.Duration
	}{{"--header-timeout", header}, {"--read-timeout", read}} {
		if l.d < time.Second {
			return UsageError("%s must be at least 1s, got %s: a sender on a slow network would be cut off in the middle of a request", l.flag, l.d)
		}
	}
	if read < header {
		return UsageError("--read-timeout (%s) must not be shorter than --header-timeout (%s): it bounds the headers and the body together", read, header)
	}
	return nil
}

// runServe listens on opts.Listen and serves webhooks until ctx is
// cancelled (SIGINT or SIGTERM in the real program).
func runServe(ctx context.Context, opts serveOptions) error {
	if opts.Jobs < 1 {
		return UsageError("--jobs must be at least 1")
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	secret, err := readWebhookSecret(opts.SecretFile, getenv)
	if err != nil {
		return err
	}
	if len(secret) == 0 && !opts.Insecure {
		return UsageError("no webhook secret: give --secret-file FILE or set %s (or, on a trusted network only, --insecure-no-secret)", SecretEnv)
	}
	log := slog.New(slog.NewTextHandler(opts.IO.Err, nil))
	if opts.Insecure && len(secret) == 0 {
		log.Warn("no webhook secret: anyone who can reach the receiver can trigger syncs")
	}
	syncer := opts.Syncer
	var metrics *webhook.Metrics // the server's, once it exists
	if syncer == nil {
		if syncer, err = newSyncer(func(t fedsync.Totals) { metrics.SyncRun(t) }); err != nil {
			return err
		}
	}
	srv, err := webhook.New(webhook.Config{
		Secret:          secret,
		Insecure:        opts.Insecure && len(secret) == 0,
		Federations:     func(ctx context.Context) (*federation.Config, error) { return federation.Load(ctx, "", "") },
		Syncer:          syncer,
		Jobs:            opts.Jobs,
		SyncTimeout:     opts.SyncTimeout,
		ShutdownTimeout: opts.ShutdownTimeout,
		HeaderTimeout:   opts.HeaderTimeout,
		ReadTimeout:     opts.ReadTimeout,
		Log:             log,
	})
	if err != nil {
		return err
	}
	metrics = srv.Metrics()
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return i18n.Errorf("cannot listen: %w", err)
	}
	if opts.MetricsListen == "" {
		if opts.Ready != nil {
			opts.Ready(ln.Addr())
		}
		return srv.Serve(ctx, ln)
	}
	mln, err := net.Listen("tcp", opts.MetricsListen)
	if err != nil {
		ln.Close()
		return i18n.Errorf("cannot listen on --metrics-listen: %w", err)
	}
	if opts.Ready != nil {
		opts.Ready(ln.Addr())
	}
	// Both listeners stop together: with ctx, or when either fails.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	merr := make(chan error, 1)
	go func() { merr <- srv.ServeMetrics(ctx, mln); cancel() }()
	err = srv.Serve(ctx, ln)
	cancel()
	if e := <-merr; err == nil {
		err = e // nil when ctx ended it
	}
	return err
}

// readWebhookSecret returns the secret from file, else from $FEDERATE_WEBHOOK_SECRET.
// Trailing newlines are dropped: `echo secret > file` should work.
func readWebhookSecret(file string, getenv func(string) string) ([]byte, error) {
	var s string
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, i18n.Errorf("reading --secret-file: %w", err)
		}
		s = strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return nil, UsageError("--secret-file %s is empty", file)
		}
	} else {
		s = strings.TrimRight(getenv(SecretEnv), "\r\n")
	}
	return []byte(s), nil
}

// newSyncer builds the Syncer that `serve` uses.
//
// LEAD: this is the one place to point at fedsync once it exists, e.g.
//
//	return webhook.SyncerFunc(func(ctx context.Context, name string) error { ... fedsync ... }), nil
//
// Until then (and arguably for good: a process per sync isolates
// failures and memory) it runs `git-federate sync -- <name>`.
func newSyncer(totals func(fedsync.Totals)) (webhook.Syncer, error) {
	exe, err := federateExe()
	if err != nil {
		return nil, err
	}
	return webhook.ExecSyncer{Exe: exe, Totals: totals}, nil
}

// federateExe finds the git-federate binary: this one when it has that
// name (the program dispatches on its name), else the one on PATH.
func federateExe() (string, error) {
	if exe, err := os.Executable(); err == nil && strings.TrimSuffix(filepath.Base(exe), ".exe") == "git-federate" {
		return exe, nil
	}
	exe, err := exec.LookPath("git-federate")
	if err != nil {
		return "", i18n.Errorf("cannot find the git-federate binary to run syncs with; is it on PATH?")
	}
	return exe, nil
}
