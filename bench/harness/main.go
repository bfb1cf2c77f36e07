// Command harness runs the performance comparisons of docs/DESIGN.md against
// plain git in the same run, on generated repositories served by git
// http-backend on 127.0.0.1, and prints ratios. bench/run.sh builds it and
// calls it; see docs/benchmarks.md.
//
// Every scenario first runs each command once as a check; a command that
// fails (a feature not built yet, a bug) is reported with its stderr and
// left out, and the rest still run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// config is the harness's flags.
type config struct {
	Work      string   // everything the run writes
	Bin       string   // git-remote-federate, git-federate, genrepo, serve
	Sizes     []size   // repositories to generate
	Runs      int      // timed runs per command
	Hyperfine string   // hyperfine binary, "" to time runs itself
	Only      []string // scenario name prefixes; empty: all
	Jobs      int      // --jobs for sync --all, and its baseline's parallelism
	Many      int      // federations for sync --all
}

// size is one generated repository.
type size struct {
	Name    string
	Commits int
}

func main() {
	var c config
	sizes := flag.String("sizes", "small:3500,large:10500", "name:commits of each repository (about 9.5 objects per commit)")
	only := flag.String("only", "", "comma-separated scenarios to run (clone,fetch,push,sync,sync-all,rss); empty: all")
	flag.StringVar(&c.Work, "work", filepath.Join(os.TempDir(), "federate-bench"), "work directory (generated repositories are cached here)")
	flag.StringVar(&c.Bin, "bin", "", "directory with the built binaries")
	flag.IntVar(&c.Runs, "runs", 5, "timed runs per command")
	flag.StringVar(&c.Hyperfine, "hyperfine", "", "hyperfine binary (empty: time the runs here, median)")
	flag.IntVar(&c.Jobs, "jobs", 4, "parallel jobs for sync --all and its ls-remote baseline")
	flag.IntVar(&c.Many, "many", 100, "federations for the sync --all scenario")
	timeout := flag.Duration("timeout", 90*time.Minute, "stop the whole run after this long")
	flag.Parse()
	var err error
	if c.Sizes, err = parseSizes(*sizes); err != nil || c.Bin == "" || c.Runs < 1 {
		fmt.Fprintln(os.Stderr, "harness: need -bin, -runs >= 1 and -sizes name:commits,...", err)
		os.Exit(2)
	}
	if *only != "" {
		c.Only = strings.Split(*only, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}

func parseSizes(s string) ([]size, error) {
	var out []size
	for _, f := range strings.Split(s, ",") {
		name, n, ok := strings.Cut(f, ":")
		var commits int
		if _, err := fmt.Sscan(n, &commits); !ok || err != nil || commits < 1 || name == "" {
			return nil, fmt.Errorf("bad size %q", f)
		}
		out = append(out, size{Name: name, Commits: commits})
	}
	return out, nil
}

func (c config) want(scenario string) bool {
	if len(c.Only) == 0 {
		return true
	}
	for _, o := range c.Only {
		if o == scenario {
			return true
		}
	}
	return false
}

func run(ctx context.Context, c config) error {
	b, err := newBench(ctx, c)
	if err != nil {
		return err
	}
	defer b.close()
	fmt.Printf("git-remote-federate benchmarks: %s, %d runs each, timing by %s\n", time.Now().UTC().Format(time.RFC3339), c.Runs, b.timer())
	fmt.Printf("work dir %s, server %s\n", c.Work, b.url)
	for _, sz := range c.Sizes {
		if ctx.Err() != nil {
			break
		}
		if err := b.sizeScenarios(ctx, sz); err != nil {
			b.report.note(fmt.Sprintf("%s: setup failed: %v", sz.Name, err))
		}
	}
	if c.want("sync-all") && ctx.Err() == nil {
		if err := b.syncAll(ctx); err != nil {
			b.report.note(fmt.Sprintf("sync --all: setup failed: %v", err))
		}
	}
	return b.report.print(os.Stdout, filepath.Join(c.Work, "results.md"))
}

func (b *bench) sizeScenarios(ctx context.Context, sz size) error {
	r, err := b.prepareSize(ctx, sz)
	if err != nil {
		return err
	}
	fmt.Printf("\n== %s: %s\n", sz.Name, r.describe)
	if b.cfg.want("clone") {
		b.clone(ctx, r)
	}
	if b.cfg.want("fetch") {
		b.noopFetch(ctx, r)
	}
	if b.cfg.want("push") {
		b.push(ctx, r)
	}
	if b.cfg.want("sync") {
		b.sync(ctx, r)
	}
	if b.cfg.want("rss") {
		b.rss(ctx, r)
	}
	return nil
}

// newline-free tail of a command's stderr for reports.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// lookPath finds name in dir or on PATH.
func lookPath(dir, name string) string {
	if p := filepath.Join(dir, name); fileExists(p) {
		return p
	}
	p, _ := exec.LookPath(name)
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
