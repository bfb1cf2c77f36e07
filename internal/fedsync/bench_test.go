package fedsync

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// Run with:
//
//	go test ./fedsync -run '^$' -bench . -benchtime 5x
//
// Each benchmark times fedsync and the plain-git work it must be compared
// with in the same iterations, in alternating order, and reports both
// means and their ratio (the machines are noisy).

// genRepo writes a deterministic repository into the bare repo dir with
// git fast-import: `commits` commits over 3000 files in 50 directories,
// each commit changing 4 files of mixed sizes, plus a branch and a tag
// every 500 commits. 3000 commits make about 30k objects.
func genRepo(b *testing.B, dir string, commits int) {
	b.Helper()
	gittest.Git(b, "", "init", "-q", "--bare", "-b", "main", dir)
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	blob := func(path string, n int) {
		var s strings.Builder
		lines := 5 + rng.IntN(n)
		for i := range lines {
			fmt.Fprintf(&s, "%s line %d value %d\n", path, i, rng.IntN(1000))
		}
		fmt.Fprintf(w, "M 644 inline %s\ndata %d\n%s\n", path, s.Len(), s.String())
	}
	file := func(i int) string { return fmt.Sprintf("d%02d/f%04d.txt", i%50, i) }
	for c := range commits {
		fmt.Fprintf(w, "commit refs/heads/main\ncommitter Bench <b@example.com> %d +0000\ndata 10\ncommit %03d\n", 1700000000+c, c%1000)
		if c == 0 {
			for i := range 3000 {
				blob(file(i), 40)
			}
		} else {
			for range 4 {
				blob(file(rng.IntN(3000)), 200)
			}
		}
		if c > 0 && c%500 == 0 {
			fmt.Fprintf(w, "\nreset refs/heads/b%d\nfrom refs/heads/main\n\nreset refs/tags/v%d\nfrom refs/heads/main\n", c, c)
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatalf("fast-import: %v", err)
	}
	gittest.Git(b, dir, "repack", "-adb", "-q") // served with bitmaps, as forges do
}

func benchEngine(b *testing.B, jobs int) *Engine {
	e, err := New(Config{Git: gitexec.Runner{Env: os.Environ()}, CacheRoot: b.TempDir(), Jobs: jobs})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func mustEndpoint(b *testing.B, raw string) federation.Endpoint {
	ep, err := federation.ParseEndpoint(raw)
	if err != nil {
		b.Fatal(err)
	}
	return ep
}

// resetMirrors replaces each mirror with an empty bare repository.
func resetMirrors(b *testing.B, s *gittest.Server, names []string) {
	b.Helper()
	for _, n := range names {
		if err := os.RemoveAll(s.Path(n)); err != nil {
			b.Fatal(err)
		}
		s.InitBare(b, n)
	}
}

// BenchmarkSyncWholeRepo3Mirrors: sync of one federation whose three
// mirrors are empty, from a warm cache, vs three parallel hand pushes of
// the same refs from a bitmapped bare clone.
func BenchmarkSyncWholeRepo3Mirrors(b *testing.B) {
	gittest.Isolate(b)
	s := gittest.NewServer(b, gittest.Auth{})
	genRepo(b, s.Path("origin.git"), 3000)
	mirrors := []string{"m1.git", "m2.git", "m3.git"}
	f := &federation.Federation{Name: "bench", Origin: mustEndpoint(b, s.RepoURL("origin.git")), Options: federation.DefaultOptions()}
	for _, m := range mirrors {
		f.Mirrors = append(f.Mirrors, mustEndpoint(b, s.RepoURL(m)))
	}
	objects := gittest.Git(b, s.Path("origin.git"), "count-objects", "-v")
	b.Logf("repository: %s", strings.ReplaceAll(objects, "\n", ", "))
	ctx := context.Background()

	handPush := func(local string) {
		var g errgroup.Group
		for _, m := range mirrors {
			g.Go(func() error {
				_, err := gittest.GitErr(local, nil, "push", "-q", s.RepoURL(m), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
				return err
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	sync := func(e *Engine) {
		if r := e.Sync(ctx, f, Options{}); r.Outcome() != "ok" || !r.Mirrors[0].Pushed {
			b.Fatalf("sync: %s %+v", r.Outcome(), r)
		}
	}
	// Warm: the cache already holds origin; the mirrors are empty. The
	// hand-run equivalent pushes from a bitmapped bare clone.
	b.Run("warm", func(b *testing.B) {
		e := benchEngine(b, 4)
		resetMirrors(b, s, mirrors)
		e.Sync(ctx, f, Options{})
		local := filepath.Join(b.TempDir(), "local.git")
		gittest.Git(b, "", "clone", "-q", "--bare", s.RepoURL("origin.git"), local)
		gittest.Git(b, local, "repack", "-adb", "-q")
		interleave(b, "fedsync", func() { sync(e) }, "hand-push", func() { handPush(local) },
			func() { resetMirrors(b, s, mirrors) })
	})
	// Cold: an empty cache (fetch, repack -adb, pushes) vs a bare clone
	// followed by the three parallel pushes.
	b.Run("cold", func(b *testing.B) {
		var e *Engine
		var local string
		interleave(b, "fedsync", func() { sync(e) }, "hand-clone-push", func() {
			gittest.Git(b, "", "clone", "-q", "--bare", s.RepoURL("origin.git"), local)
			handPush(local)
		}, func() {
			resetMirrors(b, s, mirrors)
			e = benchEngine(b, 4)
			local = filepath.Join(b.TempDir(), "local.git")
		})
	})
}

// interleave runs ours and theirs once per iteration each, in alternating
// order, with reset (untimed) before each, and reports both mean times
// and their ratio: the machines are shared and their load drifts.
func interleave(b *testing.B, oursName string, ours func(), theirsName string, theirs func(), reset func()) {
	var tOurs, tTheirs time.Duration
	n := 0
	timed := func(fn func()) time.Duration {
		reset()
		start := time.Now()
		fn()
		return time.Since(start)
	}
	b.ResetTimer()
	for b.Loop() {
		if n%2 == 0 {
			tOurs += timed(ours)
			tTheirs += timed(theirs)
		} else {
			tTheirs += timed(theirs)
			tOurs += timed(ours)
		}
		n++
	}
	b.ReportMetric(tOurs.Seconds()/float64(n), oursName+"-s/op")
	b.ReportMetric(tTheirs.Seconds()/float64(n), theirsName+"-s/op")
	b.ReportMetric(tOurs.Seconds()/tTheirs.Seconds(), "ratio")
}

// BenchmarkSyncAll100Unchanged: `sync --all` over 100 federations (origin
// + 3 mirrors each, all in sync) vs the 400 `git ls-remote`s it needs,
// run --jobs (4) at a time.
func BenchmarkSyncAll100Unchanged(b *testing.B) {
	gittest.Isolate(b)
	s := gittest.NewServer(b, gittest.Auth{})
	seed := filepath.Join(b.TempDir(), "seed.git")
	genRepo(b, seed, 50)
	var feds []*federation.Federation
	var urls []string
	nfeds := 100
	if v := os.Getenv("BENCH_FEDS"); v != "" {
		fmt.Sscan(v, &nfeds)
	}
	for i := range nfeds {
		f := &federation.Federation{Name: fmt.Sprintf("fed%03d", i), Options: federation.DefaultOptions()}
		for j, role := range []string{"origin", "m1", "m2", "m3"} {
			name := fmt.Sprintf("%s-%03d.git", role, i)
			if out, err := exec.Command("cp", "-r", seed, s.Path(name)).CombinedOutput(); err != nil {
				b.Fatalf("cp: %v %s", err, out)
			}
			ep := mustEndpoint(b, s.RepoURL(name))
			urls = append(urls, ep.Raw)
			if j == 0 {
				f.Origin = ep
			} else {
				f.Mirrors = append(f.Mirrors, ep)
			}
		}
		feds = append(feds, f)
	}
	ctx := context.Background()
	jobs := 4
	if v := os.Getenv("BENCH_JOBS"); v != "" {
		fmt.Sscan(v, &jobs)
	}
	syncAll := func(e *Engine) {
		for _, r := range e.SyncAll(ctx, feds, Options{}) {
			if r.Outcome() != "ok" || r.Fetched {
				b.Fatalf("%s: %s fetched=%v %s", r.Name, r.Outcome(), r.Fetched, r.Error)
			}
		}
	}
	lsRemote := func() {
		var g errgroup.Group
		g.SetLimit(jobs)
		for _, u := range urls {
			g.Go(func() error {
				_, err := gittest.GitErr("", nil, "ls-remote", "--", u)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	e := benchEngine(b, jobs)
	e.SyncAll(ctx, feds, Options{}) // fills the caches
	interleave(b, "fedsync", func() { syncAll(e) }, "ls-remote", lsRemote, func() {})
}
