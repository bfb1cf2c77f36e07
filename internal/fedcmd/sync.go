package fedcmd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/text/width"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/fedset"
	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/internal/shard"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// SyncOptions are the flags of `git federate sync`.
type SyncOptions struct {
	IO     IO
	Names  []string
	All    bool
	DryRun bool
	JSON   bool
	Jobs   int
	Force  bool
	Prune  bool
	Daemon bool
	// Shard is this machine's share of --all ("" is everything).
	Shard string
	// Full lists every member's refs, ignoring the forge's "unchanged".
	Full bool

	// Engine settings; tests set them, the command leaves them empty.
	SyncEnv
	// Clock drives --daemon; nil is the wall clock.
	Clock fedsync.Clock
}

// SyncEnv is what status and sync need from their surroundings.
type SyncEnv struct {
	// Dir is where git config is read ("" is the current directory).
	Dir string
	// Exe is the program child git calls back for credentials; "" is
	// os.Executable().
	Exe string
	// CacheRoot is where caches live; "" is $XDG_DATA_HOME/git-federate.
	CacheRoot string
	// LockWait overrides fedsync.DefaultLockWait when non-zero.
	LockWait time.Duration
}

// resolved is env with Exe found, once for the command: its git
// children and the engine call it back for credentials.
func (env SyncEnv) resolved() (SyncEnv, error) {
	if env.Exe != "" {
		return env, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return env, i18n.Errorf("finding this program for the credential callback: %w", err)
	}
	env.Exe = exe
	return env, nil
}

// syncCommand is `git federate sync`.
func syncCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "sync",
		Usage:     "bring mirrors up to date from origin, without a working copy",
		ArgsUsage: "[name…|--all]",
		Description: "Keeps one bare cache per federation in $XDG_DATA_HOME/git-federate, fetches\n" +
			"origin into it only when origin's refs changed, then pushes to every mirror in\n" +
			"parallel. Mirror refs only move forward unless --force; nothing is deleted\n" +
			"unless --prune. Exit 3 when some mirror failed or kept a diverged ref.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Usage: "sync every configured federation"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the plan, push nothing (the local cache may still be fetched)"},
			&cli.BoolFlag{Name: "json", Usage: "print per-mirror, per-ref actions and results as JSON"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: fedsync.DefaultJobs, Usage: "git network commands run at once"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "overwrite commits that exist only on a mirror"},
			&cli.BoolFlag{Name: "prune", Usage: "delete mirror refs that origin no longer has"},
			&cli.BoolFlag{Name: "daemon", Usage: "repeat each federation at its frequency until SIGTERM"},
			&cli.BoolFlag{Name: "full", Usage: "list every federationset member's refs, even those the forge reports unchanged since the last sync"},
			&cli.StringFlag{Name: "shard", Usage: "with --all, take only share K of N (K/N, K from 0; /N takes K from $JOB_COMPLETION_INDEX)"},
		},
		Action: func(c *cli.Context) error {
			defer batchRuntime(os.Getenv)()
			return runSync(c.Context, SyncOptions{
				IO: stdio, Names: c.Args().Slice(), All: c.Bool("all"), DryRun: c.Bool("dry-run"),
				JSON: c.Bool("json"), Jobs: c.Int("jobs"), Force: c.Bool("force"), Prune: c.Bool("prune"),
				Daemon: c.Bool("daemon"), Shard: c.String("shard"), Full: c.Bool("full"),
			})
		},
	}
}

// batchRuntime sets the Go runtime for a sync, unless the user's GOGC
// does, and returns what puts it back: the settings last as long as the
// sync (a test's process runs the command and goes on). The heap grows
// to three times what it holds live before it is collected (GOGC=200).
// A sync holds little (its configuration, the results not yet reported)
// and makes short-lived garbage with every listing, so at Go's default
// it collected a live heap of about 1 MiB 16 times over 1,000 unchanged
// federations (5 at 200), its largest cost after the requests
// themselves. A heap let grow to 32 MiB before its first collection
// spared those 5 and cost more: memory the heap has not used yet costs
// a page fault to touch, and on a small virtual machine one process
// over 1,000 federations took 8% longer (docs/benchmarks.md).
//
// GOMAXPROCS stays Go's: with one thread the sync used a tenth less CPU
// but took longer, its thread busy while answers waited to be read.
func batchRuntime(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(200)
	return func() { debug.SetGCPercent(old) }
}

// runSync is `git federate sync`.
func runSync(ctx context.Context, opts SyncOptions) error {
	if err := syncCheckNames("sync", opts.Names); err != nil {
		return err
	}
	if opts.All && len(opts.Names) > 0 {
		return UsageError("sync: name federations or give --all, not both")
	}
	if !opts.All && len(opts.Names) == 0 {
		return UsageError("sync: name the federations to sync, or give --all for every one (see 'git federate list')")
	}
	if opts.Jobs < 1 {
		return UsageError("sync: --jobs must be at least 1")
	}
	if opts.Daemon && (opts.DryRun || opts.JSON) {
		return UsageError("sync: --daemon cannot be combined with --dry-run or --json")
	}
	part, err := syncShard(opts)
	if err != nil {
		return err
	}
	if opts.SyncEnv, err = opts.SyncEnv.resolved(); err != nil {
		return err
	}
	repo := syncRepoLookup(ctx, opts.SyncEnv)
	defer repo.Wait() // no git left running when a test ends early
	run := fedsync.Options{DryRun: opts.DryRun, Force: opts.Force, Prune: opts.Prune, Full: opts.Full}
	if opts.Daemon {
		return syncDaemon(ctx, opts, part, repo, run)
	}
	cfg, feds, warnings, err := syncFederations(ctx, opts.IO, opts.SyncEnv, opts.Names, opts.All, part)
	if err != nil {
		return err
	}
	feds = shard.Filter(part, feds, func(f *federation.Federation) string { return f.Name })
	for _, w := range warnings {
		opts.IO.P.Fprintf(opts.IO.Err, "warning: %s\n", opts.IO.P.Error(w))
	}
	eng, err := syncEngine(ctx, opts.IO, opts.SyncEnv, cfg, opts.Jobs, repo, nil)
	if err != nil {
		return err
	}
	defer eng.Close()
	start := time.Now()
	out := newSyncOutput(opts.IO.P, opts.IO.Out, opts.JSON)
	eng.SyncEach(ctx, feds, run, out.add)
	requests, gitListings := eng.Counters()
	out.totals.Finish(requests, gitListings, time.Since(start))
	writeTotals(out.totals)
	if err := out.finish(); err != nil {
		return err
	}
	if err := out.exit(); err != nil || len(warnings) == 0 {
		return err
	}
	return Partial(i18n.Errorf("not everything could be synced: %w", i18n.Join(warnings...)))
}

// writeTotals writes totals to the file named by fedsync.TotalsEnv, for
// `serve`'s metrics; a failure to write costs only the metrics.
func writeTotals(totals fedsync.Totals) {
	path := os.Getenv(fedsync.TotalsEnv)
	if path == "" {
		return
	}
	if data, err := json.Marshal(totals); err == nil {
		_ = os.WriteFile(path, data, 0o600)
	}
}

// syncShard reads --shard: only with --all, since a named federation is
// asked for explicitly and must not be silently skipped.
func syncShard(opts SyncOptions) (shard.Shard, error) {
	if opts.Shard == "" {
		return shard.All, nil
	}
	if !opts.All {
		return shard.Shard{}, UsageError("sync: --shard goes with --all")
	}
	part, err := shard.Parse(opts.Shard, os.Getenv)
	if err != nil {
		return shard.Shard{}, UsageError("sync: %v", err)
	}
	return part, nil
}

// syncDaemon runs `sync --daemon`: the federations (and their engine,
// with its tokens) are read again before each round of runs that are
// due, so that the daemon follows the config, the sets' repositories and
// what the forges report; its engines share one bound of --jobs.
func syncDaemon(ctx context.Context, opts SyncOptions, part shard.Shard, repo *fedsync.RepoLookup, run fedsync.Options) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(opts.IO.Err, nil))
	slots := make(chan struct{}, opts.Jobs)
	load := func(ctx context.Context) (fedsync.Round, error) {
		cfg, feds, warnings, err := syncFederations(ctx, opts.IO, opts.SyncEnv, opts.Names, opts.All, part)
		if err != nil {
			return fedsync.Round{}, err
		}
		for _, w := range warnings {
			log.Warn("not synced", "error", opts.IO.P.Error(w))
		}
		eng, err := syncEngine(ctx, opts.IO, opts.SyncEnv, cfg, opts.Jobs, repo, slots)
		if err != nil {
			return fedsync.Round{}, err
		}
		return fedsync.Round{
			Feds: shard.Filter(part, feds, func(f *federation.Federation) string { return f.Name }),
			Sync: func(ctx context.Context, f *federation.Federation) *fedsync.FederationResult {
				return eng.Sync(ctx, f, run)
			},
			Close: eng.Close,
		}, nil
	}
	d := &fedsync.Daemon{Load: load, Clock: opts.Clock, Log: log}
	return d.Run(ctx)
}

// syncCheckNames refuses a flag given after a federation name: the
// command-line parser stops reading flags at the first name, and a
// silently ignored --dry-run would push.
func syncCheckNames(cmd string, names []string) error {
	for _, n := range names {
		if strings.HasPrefix(n, "-") {
			return UsageError("%s: %s came after a federation name; put flags first: git federate %s %s <name>…", cmd, n, cmd, n)
		}
	}
	return nil
}

// syncFederations loads config and picks the named federations, in the
// given order; with all, every federation and every member of every
// federationset, sorted. A name may be a federation, a federationset (all
// its members) or a member ("<set>/<repo>"). Sets are expanded through
// their forge's API only when asked for. Sets that could not be listed
// are returned as warnings: the rest still runs. A forge's request
// budget running low while a set is listed is said on stdio.Err, and
// GIT_TRACE_FEDERATE logs every listing page's budget there. Of the
// [federation] sections, only part's share is read (shard.All: every one).
func syncFederations(ctx context.Context, stdio IO, env SyncEnv, names []string, all bool, part shard.Shard) (*syncConfig, []*federation.Federation, []error, error) {
	var keep func(string) bool
	if part != shard.All {
		keep = part.Owns
	}
	sc, err := loadSyncConfig(ctx, env, keep)
	if sc == nil {
		return nil, nil, nil, err
	}
	cfg := sc.Config
	var members []*federation.Federation
	var warnings []error
	if all {
		// The misconfigured ones are reported; the others still run.
		for _, name := range sortedKeys(cfg.Invalid) {
			warnings = append(warnings, i18n.Errorf("federation %q is misconfigured: %w", name, cfg.Invalid[name]))
		}
	}
	if all || namesSet(cfg, names) {
		var unlisted []error // sets whose forge could not be listed
		members, unlisted = fedset.Expand(ctx, cfg, setNotes(stdio, os.Getenv,
			fedset.Deps{Config: cfg, Git: syncRunner(env), Settings: sc.httpSettings(ctx, env)}))
		warnings = append(warnings, unlisted...)
	}
	if all {
		feds := make([]*federation.Federation, 0, len(cfg.Federations)+len(members))
		for _, n := range cfg.Names() {
			feds = append(feds, cfg.Federations[n])
		}
		feds = append(feds, members...)
		// A shard's share may be empty; the whole set may not.
		if len(feds) == 0 && len(warnings) == 0 && part == shard.All {
			return nil, nil, nil, i18n.Errorf("no federation is configured: add one with `git federate add <name> --origin URL --mirror URL`")
		}
		return sc, feds, warnings, nil
	}
	var feds []*federation.Federation
	for _, n := range names {
		picked := pickFederations(cfg, members, n)
		if len(picked) == 0 {
			if _, isSet := cfg.Sets[n]; isSet {
				return nil, nil, nil, i18n.Errorf("federationset %q has no member to sync: %w", n, i18n.Join(warnings...))
			}
			_, err := cfg.Lookup(n)
			return nil, nil, nil, &ExitError{Code: ExitUsage, Err: err}
		}
		feds = append(feds, picked...)
	}
	return sc, feds, warnings, nil
}

// syncConfig is git config as sync and status read it: the federations,
// and git's http, url, credential and protocol sections, by which the engine
// decides what it lists in-process.
type syncConfig struct {
	*federation.Config
	transport      []gitexec.ConfigEntry
	transportGiven bool // read as the engine would read them: see loadSyncConfig
}

// httpSettings gives git's http settings for a URL from the sections
// read with the federations (where they were not, read at the first URL
// asked about), for the forge APIs that list federationsets.
func (sc *syncConfig) httpSettings(ctx context.Context, env SyncEnv) httpx.SettingsFor {
	if sc.transportGiven {
		return httpx.ResolverOf(sc.transport, gitexec.Getenv(nil))
	}
	read := sync.OnceValue(func() httpx.SettingsFor {
		entries, _ := httpx.ReadConfig(ctx, gitexec.Runner{Dir: env.Dir, Env: syncRunner(env).Env}, false)
		return httpx.ResolverOf(entries, gitexec.Getenv(nil))
	})
	return func(u string) httpx.Settings { return read()(u) }
}

// loadSyncConfig reads the federations (those keep accepts) and, in the
// same `git config` run, the engine's transport sections: a second run
// parsed the whole config again. The run stands for the engine's own
// when it has the environment of the engine's git children (this one's
// with the credential callback, syncRunner) in the same directory,
// which holds when this environment names no repository (a hook's
// GIT_DIR: the engine's children drop it, the federations are read from
// it) and no outer callback's parameters (which the callback's own
// replace). Else the federations are read as before and the engine
// reads its own.
func loadSyncConfig(ctx context.Context, env SyncEnv, keep func(string) bool) (*syncConfig, error) {
	outer := os.Environ()
	if _, nested := os.LookupEnv(gitexec.BaseConfigParametersEnv); nested || gitexec.HasRepoEnv(outer) {
		cfg, err := federation.LoadOnly(ctx, "", env.Dir, keep)
		if cfg == nil {
			return nil, err
		}
		return &syncConfig{Config: cfg}, err
	}
	r := gitexec.Runner{Dir: env.Dir, Env: syncRunner(env).Env}
	cfg, transport, err := federation.LoadWith(ctx, r, keep, httpx.ConfigSections()...)
	if cfg == nil {
		return nil, err
	}
	return &syncConfig{Config: cfg, transport: transport, transportGiven: true}, err
}

// setNotes is d with what every command that lists sets says while it
// lists them: a forge's request budget running low, on stdio.Err, and
// with GIT_TRACE_FEDERATE (looked up with getenv) each page's budget.
func setNotes(stdio IO, getenv func(string) string, d fedset.Deps) fedset.Deps {
	d.Warnf = func(format string, args ...any) { fmt.Fprintln(stdio.Err, i18n.M(format, args...).Localize(stdio.P)) }
	d.Log = gitexec.TraceLogger(stdio.Err, getenv)
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// namesSet reports whether any name is a federationset or one's member.
func namesSet(cfg *federation.Config, names []string) bool {
	for _, n := range names {
		set, _, _ := strings.Cut(n, "/")
		if _, ok := cfg.Sets[set]; ok {
			if _, explicit := cfg.Federations[n]; !explicit {
				return true
			}
		}
	}
	return false
}

func pickFederations(cfg *federation.Config, members []*federation.Federation, name string) []*federation.Federation {
	if f, ok := cfg.Federations[name]; ok {
		return []*federation.Federation{f}
	}
	var out []*federation.Federation
	for _, m := range members {
		if m.Name == name || strings.HasPrefix(m.Name, name+"/") {
			out = append(out, m)
		}
	}
	return out
}

// syncRepo is the directory whose repository's pending queue sync and
// status settle and report.
func syncRepo(env SyncEnv) string {
	if env.Dir == "" {
		return "."
	}
	return env.Dir
}

// syncRepoLookup starts finding the repository of syncRepo, as the
// engine's children see it, beside the `git config` run that reads the
// federations: the second core is idle then.
func syncRepoLookup(ctx context.Context, env SyncEnv) *fedsync.RepoLookup {
	return fedsync.StartRepoLookup(ctx, syncRunner(env), syncRepo(env))
}

// syncRunner runs child git with this program (env.Exe, resolved) as
// its credential helper: tokens never go through argv or URLs. A busy
// server is retried.
func syncRunner(env SyncEnv) gitexec.Runner {
	return gitexec.Runner{
		Env:       gitexec.WithCredentialCallback(os.Environ(), env.Exe),
		BusyRetry: gitexec.DefaultDelays(),
	}
}

// tokensOf is a Redactor that knows the tokens tokens (the run's token
// chain) holds for every http(s) host of cfg, which the children of a
// sync are handed: what their servers echo back is cleaned from output,
// reports and the pending queue.
func tokensOf(ctx context.Context, cfg *federation.Config, tokens keystore.Getter, forge func(host string) string) *redact.Redactor {
	var keys []keystore.Key
	seen := map[keystore.Key]bool{} // thousands of federations share a few hosts
	add := func(e federation.Endpoint) {
		if k := (keystore.Key{Protocol: e.Protocol, Host: e.Host}); e.HTTP() && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, f := range cfg.Federations { // parsed already
		add(f.Origin)
		for _, m := range f.Mirrors {
			add(m)
		}
	}
	for _, s := range cfg.Sets {
		for _, u := range append([]string{s.Origin}, s.Mirrors...) {
			if e, err := federation.ParseEndpoint(u); err == nil {
				add(e)
			}
		}
	}
	return keystore.RedactorFor(ctx, tokens, forge, keys...)
}

// syncEngine builds the engine. Missing mirrors are created through their
// forge (createMissing), and the pending queue of the repository sync
// runs in, if any, is settled for each mirror brought up to date.
func syncEngine(ctx context.Context, stdio IO, env SyncEnv, cfg *syncConfig, jobs int, repo *fedsync.RepoLookup, slots chan struct{}) (*fedsync.Engine, error) {
	git := syncRunner(env)
	// One asking of the token chain per host for the run, shared by the
	// redactor and the listings (each asking of the keyring is a D-Bus
	// round trip).
	forge := func(host string) string { return cfg.ForgeOf("https", host) }
	tokens := keystore.NewMemo(keystore.Default(keystore.Options{Getenv: os.Getenv, Forge: forge}))
	git.Redact = tokensOf(ctx, cfg.Config, tokens, forge)
	return fedsync.New(fedsync.Config{
		Git:                  git,
		CacheRoot:            env.CacheRoot,
		Jobs:                 jobs,
		Slots:                slots,
		LockWait:             env.LockWait,
		Progress:             stdio.Err,
		Printer:              stdio.P,
		Repo:                 syncRepo(env),
		RepoLookup:           repo,
		Exe:                  env.Exe,
		Federations:          cfg.Config,
		TransportConfig:      cfg.transport,
		TransportConfigGiven: cfg.transportGiven,
		Tokens:               tokens,
	})
}

// syncOutput writes the report of sync as the results come, in the
// order of the federations, and keeps of them only what the end of the
// run needs: the totals and the names of the federations not done. A run
// over 10,000 federations holds no result it has reported.
//
// Its lines reach a terminal whenever the run waits for the next result.
// A pipe or a file gets them as git's own stdout would, in writes of
// many lines, each line at most flushAfter after it was written: a write
// for each federation, each waking the reader, was 6% of the CPU of 4
// shards over 1,000 unchanged federations, each writing to a pipe that
// another process read.
type syncOutput struct {
	p     *i18n.Printer
	json  bool
	count int
	// totals sum up the run (--json, the metrics).
	totals          fedsync.Totals
	failed, partial []string

	mu         sync.Mutex // w, between add and the timer's flush
	w          *bufio.Writer
	terminal   bool
	flushAfter time.Duration
	timer      *time.Timer // flushes what waits; nil while nothing does
}

// flushAfter is how long a line of sync's report waits to be written
// when the output is not a terminal.
const flushAfter = 100 * time.Millisecond

func newSyncOutput(p *i18n.Printer, w io.Writer, asJSON bool) *syncOutput {
	_, tty := terminal(w)
	return &syncOutput{p: p, w: bufio.NewWriterSize(w, 32<<10), json: asJSON, terminal: tty, flushAfter: flushAfter}
}

// add reports one federation's result; more says another is ready, so
// that the lines reach a terminal whenever the run waits.
func (o *syncOutput) add(r *fedsync.FederationResult, more bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.totals.Count(r)
	switch r.Outcome() {
	case "failed":
		o.failed = append(o.failed, r.Name)
	case "partial":
		o.partial = append(o.partial, r.Name)
	}
	if o.json {
		o.writeJSON(r)
	} else {
		writeSyncResult(o.p, o.w, r)
	}
	o.count++
	switch {
	case o.terminal && !more:
		_ = o.w.Flush() // an error stays, and finish returns it
	case !o.terminal && o.timer == nil && o.w.Buffered() > 0:
		o.timer = time.AfterFunc(o.flushAfter, o.flushWaiting)
	}
}

// flushWaiting writes the lines that waited flushAfter.
func (o *syncOutput) flushWaiting() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.timer = nil
	_ = o.w.Flush()
}

// writeJSON writes r as the next element of the report's federations,
// indented as encoding/json indents the whole document: the output is
// the one document it was when the report was encoded at the end.
func (o *syncOutput) writeJSON(r *fedsync.FederationResult) {
	data, err := json.MarshalIndent(r, "    ", "  ")
	if err != nil {
		return
	}
	if o.count == 0 {
		o.w.WriteString("{\n  \"federations\": [\n    ")
	} else {
		o.w.WriteString(",\n    ")
	}
	o.w.Write(data)
}

// finish ends the report (the JSON document's totals) and flushes it.
func (o *syncOutput) finish() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
	if o.json {
		if o.count == 0 {
			o.w.WriteString("{\n  \"federations\": [")
		} else {
			o.w.WriteString("\n  ")
		}
		data, err := json.MarshalIndent(&o.totals, "  ", "  ")
		if err != nil {
			return err
		}
		o.w.WriteString("],\n  \"totals\": ")
		o.w.Write(data)
		o.w.WriteString("\n}\n")
	}
	return o.w.Flush()
}

// exit maps the results to the exit status: 0 when every federation is
// done, 1 when none could be done, 3 (partial) otherwise.
func (o *syncOutput) exit() error {
	switch {
	case len(o.failed) == 0 && len(o.partial) == 0:
		return nil
	case len(o.failed) == o.count:
		return &ExitError{Code: ExitFailure, Err: i18n.Errorf("sync failed: %s", strings.Join(o.failed, ", "))}
	}
	return Partial(i18n.Errorf("not every mirror is in sync (%s); see above",
		strings.Join(append(o.failed, o.partial...), ", ")))
}

// writeSyncResult writes one federation's report lines.
func writeSyncResult(p *i18n.Printer, w io.Writer, r *fedsync.FederationResult) {
	if r.Unchanged {
		p.Fprintf(w, "%s: %s (unchanged: the forge reports no push since the last sync)\n", r.Name, r.Origin)
		return
	}
	if r.Err() != nil {
		p.Fprintf(w, "%s: FAILED: %s\n", r.Name, withoutName(p, r.Name, r.Err()))
		return
	}
	head := p.Sprintf("cache already had origin's refs")
	if r.Fetched {
		head = p.Sprintf("fetched origin")
	}
	if r.DryRun {
		head += p.Sprintf(", dry run: nothing pushed")
	}
	p.Fprintf(w, "%s: %s (%s)\n", r.Name, r.Origin, head)
	for i := range r.Mirrors {
		writeMirrorSync(p, w, &r.Mirrors[i])
	}
}

func writeMirrorSync(p *i18n.Printer, w io.Writer, m *fedsync.MirrorResult) {
	if n := inSyncRefs(m); n > 0 {
		// The line of nearly every mirror of a run over thousands of
		// federations, said without counting each kind of ref.
		p.Fprintf(w, "  %s: %s\n", m.URL, countWord(p, n, "in sync"))
		return
	}
	if m.Err() != nil {
		p.Fprintf(w, "  %s: FAILED: %s\n", m.URL, p.Error(m.Err()))
	}
	counts := map[string]int{}
	var lines []string
	for _, r := range m.Refs {
		if r.Action == fedsync.ActNone {
			counts["in sync"]++
			continue
		}
		counts[syncActionWord(r)]++
		lines = append(lines, "    "+pad(actionWord(p, r.Action), 7)+" "+pad(stateWord(p, r.State), 9)+" "+r.Ref+syncRefNote(p, r))
	}
	if m.Err() == nil {
		p.Fprintf(w, "  %s: %s\n", m.URL, syncCounts(p, counts))
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

func syncActionWord(r fedsync.RefResult) string {
	switch {
	case r.Result == fedsync.ResultRejected || r.Result == fedsync.ResultFailed:
		return "failed"
	case r.Action == fedsync.ActKeep:
		return "kept " + string(r.State)
	case r.Result == fedsync.ResultPlanned:
		return "to " + string(r.Action)
	}
	return map[fedsync.Action]string{fedsync.ActCreate: "created", fedsync.ActUpdate: "updated",
		fedsync.ActForce: "forced", fedsync.ActDelete: "deleted"}[r.Action]
}

// syncRefNote explains a ref line in p's language: values, what went
// wrong (in git's or the server's words), what to do.
func syncRefNote(p *i18n.Printer, r fedsync.RefResult) string {
	var note string
	switch {
	case r.Origin != "" && r.Mirror != "":
		note = fmt.Sprintf("  %s → %s", syncShortOID(r.Mirror), syncShortOID(r.Origin))
	case r.Origin != "":
		note = "  " + syncShortOID(r.Origin)
	default:
		note = "  " + syncShortOID(r.Mirror)
	}
	switch {
	case r.Result == fedsync.ResultRejected || r.Result == fedsync.ResultFailed:
		reason := r.Reason
		if reason == fedsync.ReasonLFSNotDelivered.String() {
			reason = fedsync.ReasonLFSNotDelivered.Localize(p)
		}
		result := p.Sprintf("rejected")
		if r.Result == fedsync.ResultFailed {
			result = p.Sprintf("failed")
		}
		note += p.Sprintf("  %s: %s", result, reason)
	case r.Action == fedsync.ActKeep && isKeepReason(r.Reason):
		note += "  (" + keepReason(p, r.Reason) + ")"
	case r.Action == fedsync.ActKeep && r.State == fedsync.Extra:
		note += p.Sprintf("  (origin no longer has it; --prune deletes it)")
	case r.Action == fedsync.ActKeep && strings.HasPrefix(r.Ref, "refs/tags/"):
		// A tag has no commits of its own: it differs, whatever the history.
		note += p.Sprintf("  (the mirror's tag points elsewhere; --force overwrites it)")
	case r.Action == fedsync.ActKeep:
		note += p.Sprintf("  (commits only on the mirror; --force overwrites them)")
	}
	return note
}

func isKeepReason(reason string) bool { return keepReason(nil, reason) != "" }

// keepReason is reason in p's language when it says why sync kept a ref
// that prune or force would have changed; "" for any other reason.
func keepReason(p *i18n.Printer, reason string) string {
	for _, m := range [...]i18n.Msg{fedsync.ReasonPruneHeld, fedsync.ReasonOriginMoved, fedsync.ReasonOriginUnconfirmed} {
		if reason == m.String() {
			return m.Localize(p)
		}
	}
	return ""
}

// stateWord is a ref's state, for a report line.
func stateWord(p *i18n.Printer, st fedsync.State) string {
	switch st {
	case fedsync.InSync:
		return p.Sprintf("in-sync")
	case fedsync.Behind:
		return p.Sprintf("behind")
	case fedsync.Ahead:
		return p.Sprintf("ahead")
	case fedsync.Diverged:
		return p.Sprintf("diverged")
	case fedsync.Missing:
		return p.Sprintf("missing")
	case fedsync.Extra:
		return p.Sprintf("extra")
	}
	return string(st)
}

// actionWord is what sync does with a ref, for a report line.
func actionWord(p *i18n.Printer, a fedsync.Action) string {
	switch a {
	case fedsync.ActCreate:
		return p.Sprintf("create")
	case fedsync.ActUpdate:
		return p.Sprintf("update")
	case fedsync.ActForce:
		return p.Sprintf("force")
	case fedsync.ActDelete:
		return p.Sprintf("delete")
	case fedsync.ActKeep:
		return p.Sprintf("keep")
	}
	return string(a)
}

// pad fills s with spaces to n columns, a wide (CJK) character taking
// two, as fmt's %-*s does for English.
func pad(s string, n int) string {
	if cols := displayWidth(s); cols < n {
		return s + strings.Repeat(" ", n-cols)
	}
	return s
}

// displayWidth is how many columns s takes on a terminal.
func displayWidth(s string) int {
	cols := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			cols += 2
		default:
			cols++
		}
	}
	return cols
}

func syncShortOID(oid string) string {
	if len(oid) > 10 {
		return oid[:10]
	}
	return oid
}

// inSyncRefs is how many refs m has when every one of them is in sync
// and m did not fail, else 0.
func inSyncRefs(m *fedsync.MirrorResult) int {
	if m.Err() != nil {
		return 0
	}
	for _, r := range m.Refs {
		if r.Action != fedsync.ActNone {
			return 0
		}
	}
	return len(m.Refs)
}

// syncCounts renders counts as "2 updated, 1 kept diverged", or "in sync"
// when nothing else happened.
func syncCounts(p *i18n.Printer, counts map[string]int) string {
	order := []string{"created", "updated", "forced", "deleted", "to create", "to update", "to force", "to delete",
		"kept ahead", "kept diverged", "kept extra", "failed", "in sync"}
	var parts []string
	for _, k := range order {
		if n := counts[k]; n > 0 {
			parts = append(parts, countWord(p, n, k))
		}
	}
	if len(parts) == 0 {
		return p.Sprintf("nothing to sync")
	}
	return strings.Join(parts, p.Sprintf(", "))
}
