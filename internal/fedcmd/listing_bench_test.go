//go:build unix

package fedcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
	"github.com/git-remote-federate/git-remote-federate/internal/gitserve"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/shard"
)

// BenchmarkSyncAllListings runs the real `git federate sync --all` over
// many unchanged federations (origin + 3 mirrors each, over http, one
// server per role on 127.0.0.1), as one process and as 4 shards, then
// with 5% of the origins changed, and measures against it, in the same
// run and against the same servers, the floor: the same GET info/refs
// requests made by a minimal Go client with the same keep-alive and the
// same concurrency. The floor is bench/floor run as a process (as many
// side by side as the sync has shards, each with its share), since a
// sync is one: both pay a process start and a cold runtime. The same
// requests made by a loop in the benchmark's own process, already
// running, are reported beside it (-inproc). It reports wall time,
// requests, the ratio to the floor, peak RSS and the most open files of
// a sync process.
//
// The servers answer GET info/refs from a cached advertisement per
// repository, as a forge does, dropped when the repository is pushed to
// or changed by the benchmark; everything else (the fetches and pushes
// of changed federations) is git http-backend. A CGI process per
// listing would measure the server, not the client.
//
//	go test ./internal/fedcmd -run '^$' -bench SyncAllListings -benchtime 1x -timeout 60m
//
// BENCH_FEDS sets the sizes (default "1000"), BENCH_JOBS the --jobs
// (default 8), BENCH_DELAY a delay added to every request ("50ms");
// BENCH_CHANGED=0 leaves out the runs with 5% changed;
// BENCH_LAYOUT=repository keeps the federations in a repository's config
// and runs the syncs there, instead of in GIT_CONFIG_GLOBAL;
// BENCH_REWRITE=1 adds a url.<base>.insteadOf rule matching every server.
// A benchmark, never a timed test.
func BenchmarkSyncAllListings(b *testing.B) {
	sizes := []int{1000}
	if v := os.Getenv("BENCH_FEDS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			var n int
			fmt.Sscan(f, &n)
			sizes = append(sizes, n)
		}
	}
	jobs := 8
	if v := os.Getenv("BENCH_JOBS"); v != "" {
		fmt.Sscan(v, &jobs)
	}
	var delay time.Duration
	if v := os.Getenv("BENCH_DELAY"); v != "" {
		var err error
		if delay, err = time.ParseDuration(v); err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchListings(b, n, jobs, delay) })
	}
}

// roles are the servers of every federation: origin and 3 mirrors.
var roles = []string{"o", "m1", "m2", "m3"}

const benchToken = "bench-token-0123456789"

func benchListings(b *testing.B, n, jobs int, delay time.Duration) {
	gittest.Isolate(b)
	b.Setenv("FEDERATE_KEYRING", "off")
	seed := benchSeed(b)
	srvs := map[string]*advServer{}
	env := os.Environ()
	for _, role := range roles {
		s := newAdvServer(b, filepath.Join(b.TempDir(), role), delay)
		srvs[role] = s
		env = append(env, "FEDERATE_TOKEN_127_0_0_1_"+s.port()+"="+benchToken)
	}
	changed := os.Getenv("BENCH_CHANGED") != "0"
	var conf strings.Builder
	for i := range n {
		fmt.Fprintf(&conf, "[federation \"%s\"]\n", benchFederation(i))
		for _, role := range roles {
			repo := fmt.Sprintf("r%05d.git", i)
			if i == 0 || changed {
				// Unchanged runs read every answer from the prefilled
				// advertisements: only the first repository is asked of git.
				copySeed(b, seed, filepath.Join(srvs[role].root, repo))
			}
			key := "mirror"
			if role == "o" {
				key = "origin"
			}
			fmt.Fprintf(&conf, "\t%s = %s/%s\n", key, srvs[role].url, repo)
		}
	}
	for _, s := range srvs {
		s.prefill(b, n)
	}
	if os.Getenv("BENCH_REWRITE") != "" {
		// A rule matching every server, as url."git@github.com:".insteadOf
		// https://github.com/ matches every GitHub URL: set aside on
		// every path, it must cost nothing.
		conf.WriteString("[url \"ssh://git@127.0.0.1:1/\"]\n\tinsteadOf = http://127.0.0.1:\n")
	}
	cfg := filepath.Join(b.TempDir(), "gitconfig")
	if err := os.WriteFile(cfg, []byte(conf.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	where := "" // outside any repository: no pending queue to read
	if os.Getenv("BENCH_LAYOUT") == "repository" {
		// The federations in a repository's config, and sync run there
		// (docs/operations.md, "Where the federations live").
		where = filepath.Join(b.TempDir(), "federations.git")
		gittest.Git(b, "", "init", "-q", "--bare", where)
		gittest.Git(b, where, "config", "include.path", cfg)
		cfg = os.DevNull
	}
	env = append(env, "GIT_CONFIG_GLOBAL="+cfg)
	bin := filepath.Join(gittest.BinDir(b), "git-federate")
	requests := func() int64 {
		var t int64
		for _, s := range srvs {
			t += s.requests.Load()
		}
		return t
	}
	run := func(shards int, observe bool) scaleRun {
		return runListingSyncs(b, requests, bin, env, where, shards, jobs, observe)
	}
	if prof, mem := os.Getenv("BENCH_CPUPROFILE"), os.Getenv("BENCH_MEMPROFILE"); prof != "" || mem != "" {
		floor := func() { benchFloor(b, srvs, n, jobs, min(jobs, fedsync.DefaultHostJobs)) }
		profileSync(b, prof, mem, env, jobs, floor)
		return
	}
	if changed {
		run(1, false) // a first sync, not measured (unchanged federations create no cache)
	}
	hostJobs := min(jobs, fedsync.DefaultHostJobs)
	floorBin := floorProgram(b)
	floor := func(shards int) floors {
		wall, cpu := benchFloorProcesses(b, floorBin, srvs, n, shards, jobs, hostJobs)
		return floors{process: wall, processCPU: cpu, inProc: benchFloor(b, srvs, n, shards*jobs, shards*hostJobs)}
	}
	change := func() {
		for i := 0; i < n; i += 20 { // 5%
			benchChange(b, srvs["o"], fmt.Sprintf("r%05d.git", i))
		}
	}
	type result struct {
		scaleRun
		floor floors
	}
	// Each case's runs, every turn of the loop: the metrics are their
	// medians (memory and open files the most of any), as the logged
	// runs of a noisy machine are read; the last run alone said little.
	var results [4][]result
	for b.Loop() {
		for i, shards := range []int{1, 4} {
			f1 := floor(shards)
			r := run(shards, false)
			f2 := floor(shards)
			// Memory and open files are read in a run of their own: the
			// reading takes CPU from the 2 cores the timed run shares
			// with its servers, and the floor's runs are not read.
			o := run(shards, true)
			r.rssKiB, r.openFDs = o.rssKiB, o.openFDs
			results[i] = append(results[i], result{r, f1.mean(f2)})
			if want := int64(len(roles) * n); int64(r.requests) != want || r.counted != want {
				b.Errorf("%d process(es): the servers counted %d requests and sync %d, want %d as the floor made",
					shards, r.requests, r.counted, want)
			}
			logRun(n, shards, "unchanged", r, f1.mean(f2))
		}
		if !changed {
			continue
		}
		for i, shards := range []int{1, 4} {
			change()
			// Observed as it is timed: a changed federation is changed once.
			r := result{run(shards, true), floor(shards)}
			results[2+i] = append(results[2+i], r)
			logRun(n, shards, "5% changed", r.scaleRun, r.floor)
		}
	}
	for i, name := range []string{"unchanged", "unchanged-4shards", "5pct", "5pct-4shards"} {
		rs := results[i]
		if len(rs) == 0 {
			continue
		}
		med := func(f func(result) float64) float64 {
			v := make([]float64, len(rs))
			for k, r := range rs {
				v[k] = f(r)
			}
			return gittest.Median(v)
		}
		b.ReportMetric(med(func(r result) float64 { return r.wall.Seconds() }), name+"-s")
		b.ReportMetric(med(func(r result) float64 { return r.floor.process.Seconds() }), name+"-floor-s")
		b.ReportMetric(med(func(r result) float64 { return r.wall.Seconds() / r.floor.process.Seconds() }), name+"-ratio")
		b.ReportMetric(med(func(r result) float64 { return r.floor.inProc.Seconds() }), name+"-floor-inproc-s")
		b.ReportMetric(med(func(r result) float64 { return r.wall.Seconds() / r.floor.inProc.Seconds() }), name+"-inproc-ratio")
		b.ReportMetric(med(func(r result) float64 { return r.cpu.Seconds() / r.floor.processCPU.Seconds() }), name+"-cpu-ratio")
		b.ReportMetric(med(func(r result) float64 { return float64(r.requests) }), name+"-requests")
		var rss int64
		var fds int
		for _, r := range rs { // the most any run held
			rss, fds = max(rss, r.rssKiB), max(fds, r.openFDs)
		}
		b.ReportMetric(float64(rss)/1024, name+"-peakRSS-MiB")
		b.ReportMetric(float64(fds), name+"-maxFDs")
	}
}

// profileSync runs one `sync --all` in this process under the CPU
// profiler (cpu, when set) and writes a heap profile taken when the live
// heap was largest (mem, when set): where the time and the memory of a
// sync over many federations go. The floor runs first, in the same
// profile: the samples of each carry the label side=floor or side=sync
// (go tool pprof -tagfocus side=sync), the servers' none.
func profileSync(b *testing.B, cpu, mem string, env []string, jobs int, floor func()) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && (strings.HasPrefix(k, "FEDERATE_TOKEN_") || k == "GIT_CONFIG_GLOBAL") {
			b.Setenv(k, v)
		}
	}
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	var peak *heapPeak
	if mem != "" {
		peak = watchHeap()
	}
	start := time.Now()
	pprof.Do(context.Background(), pprof.Labels("side", "floor"), func(context.Context) { floor() })
	fmt.Fprintf(os.Stderr, "in-process floor: %v\n", time.Since(start))
	start = time.Now()
	var err error
	pprof.Do(context.Background(), pprof.Labels("side", "sync"), func(ctx context.Context) {
		err = runSync(ctx, SyncOptions{IO: IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard},
			All: true, Jobs: jobs, SyncEnv: SyncEnv{Exe: filepath.Join(gittest.BinDir(b), "git-federate"), Dir: b.TempDir()}})
	})
	fmt.Fprintf(os.Stderr, "in-process sync: %v, %v\n", time.Since(start), err)
	if peak != nil {
		most, profile := peak.stop()
		fmt.Fprintf(os.Stderr, "largest live heap: %.1f MiB\n", float64(most)/(1<<20))
		if err := os.WriteFile(mem, profile, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// heapPeak samples the live heap every few milliseconds and keeps the
// heap profile of the largest it saw.
type heapPeak struct {
	done    chan struct{}
	most    uint64
	profile []byte
}

func watchHeap() *heapPeak {
	h := &heapPeak{done: make(chan struct{})}
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.done:
				h.done <- struct{}{}
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			if live := sample[0].Value.Uint64(); live > h.most+h.most/20 {
				var buf bytes.Buffer
				_ = pprof.Lookup("heap").WriteTo(&buf, 0)
				h.most, h.profile = live, buf.Bytes()
			}
		}
	}()
	return h
}

func (h *heapPeak) stop() (uint64, []byte) {
	h.done <- struct{}{}
	<-h.done
	return h.most, h.profile
}

// logRun prints a run's figures at once: removing 40,000 repositories
// after the benchmark takes minutes, and its report comes only then.
func logRun(n, shards int, what string, r scaleRun, floor floors) {
	fmt.Fprintf(os.Stderr, "%d federations, %s, %d process(es): %.3f s, floor %.3f s (%.2fx), in-process floor %.3f s (%.2fx), %d requests (%d counted by sync), CPU %.0f ms, floor %.0f ms (%.2fx), peak RSS %.1f MiB, %d open files, load %s\n",
		n, what, shards, r.wall.Seconds(), floor.process.Seconds(), r.wall.Seconds()/floor.process.Seconds(),
		floor.inProc.Seconds(), r.wall.Seconds()/floor.inProc.Seconds(), r.requests, r.counted,
		ms(r.cpu), ms(floor.processCPU), r.cpu.Seconds()/floor.processCPU.Seconds(),
		float64(r.rssKiB)/1024, r.openFDs, loadAverage())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// floors are the two floors of a run: bench/floor's processes (their
// wall time and CPU), and the same requests from the benchmark's own
// process.
type floors struct{ process, processCPU, inProc time.Duration }

func (f floors) mean(g floors) floors {
	return floors{(f.process + g.process) / 2, (f.processCPU + g.processCPU) / 2, (f.inProc + g.inProc) / 2}
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes:
// the figures of a busy machine are read beside it.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

// benchSeed is a small bare repository, packed, its refs packed: a
// branch, a lightweight and an annotated tag.
func benchSeed(b *testing.B) string {
	work := gittest.NewWorkRepo(b)
	gittest.Git(b, work, "tag", "light")
	gittest.Git(b, work, "tag", "-a", "-m", "v1", "v1")
	seed := filepath.Join(b.TempDir(), "seed.git")
	gittest.Git(b, "", "clone", "-q", "--bare", work, seed)
	gittest.Git(b, seed, "repack", "-adq")
	gittest.Git(b, seed, "pack-refs", "--all")
	return seed
}

// copySeed makes dst a copy of the seed repository without a git
// process: its packs hard-linked, its few small files copied.
func copySeed(b *testing.B, seed, dst string) {
	err := filepath.Walk(seed, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(seed, path)
		to := filepath.Join(dst, rel)
		switch {
		case fi.IsDir():
			if rel == "hooks" {
				return filepath.SkipDir
			}
			return os.MkdirAll(to, 0o755)
		case strings.HasPrefix(rel, filepath.Join("objects", "pack")):
			return os.Link(path, to)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, fi.Mode().Perm())
	})
	if err != nil {
		b.Fatal(err)
	}
}

// benchChange commits to repo's main branch on srv, in place.
func benchChange(b *testing.B, srv *advServer, repo string) {
	dir := filepath.Join(srv.root, repo)
	env := append(os.Environ(), "GIT_DIR="+dir)
	tree := strings.TrimSpace(string(gitOut(b, env, "rev-parse", "main^{tree}")))
	oid := strings.TrimSpace(string(gitOut(b, env, "commit-tree", "-p", "main", "-m", fmt.Sprint("change ", time.Now().UnixNano()), tree)))
	gitOut(b, env, "update-ref", "refs/heads/main", oid)
	srv.forget(repo)
}

func gitOut(b *testing.B, env []string, args ...string) []byte {
	cmd := exec.Command("git", args...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("git %v: %v", args, err)
	}
	return out
}

// advServer serves the repositories under root over smart HTTP: GET
// info/refs from a cached answer per repository and service, as a forge
// does, everything else by git http-backend. It takes benchToken only.
type advServer struct {
	url, root string
	backend   http.Handler
	delay     time.Duration
	requests  atomic.Int64
	mu        sync.Mutex
	cache     map[string][]byte // "<repo>?<service>" -> answer
}

func newAdvServer(b *testing.B, root string, delay time.Duration) *advServer {
	if err := os.MkdirAll(root, 0o755); err != nil {
		b.Fatal(err)
	}
	backend, err := gitserve.Backend(context.Background(), "", root)
	if err != nil {
		b.Fatal(err)
	}
	s := &advServer{root: root, backend: gitserve.Handler(backend), delay: delay, cache: map[string][]byte{}}
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *advServer) port() string {
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.url, "http://"))
	return port
}

// prefill caches the answers of repositories r00000…r<n-1>, copies of
// one seed: git http-backend's answer for the first, which is the
// answer for all (an advertisement names no path).
func (s *advServer) prefill(b *testing.B, n int) {
	for _, service := range []string{"git-upload-pack", "git-receive-pack"} {
		rec := httptest.NewRecorder()
		s.backend.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/r00000.git/info/refs?service="+service, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("advertisement of r00000.git: %d %s", rec.Code, rec.Body)
		}
		body := rec.Body.Bytes()
		s.mu.Lock()
		for i := range n {
			s.cache[fmt.Sprintf("r%05d.git?%s", i, service)] = body
		}
		s.mu.Unlock()
	}
}

// forget drops repo's cached answers.
func (s *advServer) forget(repo string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.cache {
		if strings.HasPrefix(k, repo+"?") {
			delete(s.cache, k)
		}
	}
}

func (s *advServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if _, pass, _ := r.BasicAuth(); pass != benchToken {
		w.Header().Set("WWW-Authenticate", `Basic realm="bench"`)
		http.Error(w, "token required", http.StatusUnauthorized)
		return
	}
	repo := strings.TrimPrefix(strings.SplitN(r.URL.Path, ".git/", 2)[0], "/") + ".git"
	service := r.URL.Query().Get("service")
	if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/info/refs") || r.Header.Get("Git-Protocol") != "" {
		if r.Method == http.MethodPost {
			defer s.forget(repo) // a push changes the refs
		}
		s.backend.ServeHTTP(w, r)
		return
	}
	key := repo + "?" + service
	s.mu.Lock()
	body, ok := s.cache[key]
	s.mu.Unlock()
	if !ok {
		rec := httptest.NewRecorder()
		s.backend.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		body = rec.Body.Bytes()
		s.mu.Lock()
		s.cache[key] = body
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(body)
}

// benchFloor makes the listings a sync of n unchanged federations makes
// (origin's upload-pack, each mirror's receive-pack) with a minimal
// client: conc requests at once, at most hostConc per server, as many
// idle connections kept per server. It returns the wall time.
func benchFloor(b *testing.B, srvs map[string]*advServer, n, conc, hostConc int) time.Duration {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = hostConc
	client := &http.Client{Transport: t}
	defer t.CloseIdleConnections()
	type job struct{ role, url string }
	jobs := make(chan job)
	hostSem := map[string]chan struct{}{}
	for _, role := range roles {
		hostSem[role] = make(chan struct{}, hostConc)
	}
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				hostSem[j.role] <- struct{}{}
				req, _ := http.NewRequest(http.MethodGet, j.url, nil)
				req.SetBasicAuth("x-access-token", benchToken)
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				<-hostSem[j.role]
			}
		}()
	}
	for i := range n {
		for _, role := range roles {
			jobs <- job{role, listingURL(srvs, i, role)}
		}
	}
	close(jobs)
	wg.Wait()
	if failed.Load() > 0 {
		b.Fatalf("floor: %d listings failed", failed.Load())
	}
	return time.Since(start)
}

// listingURL is the URL a sync lists for federation i's server role:
// origin for upload-pack, a mirror for receive-pack.
func listingURL(srvs map[string]*advServer, i int, role string) string {
	service := "git-receive-pack"
	if role == "o" {
		service = "git-upload-pack"
	}
	return fmt.Sprintf("%s/r%05d.git/info/refs?service=%s", srvs[role].url, i, service)
}

// floorProgram builds bench/floor.
func floorProgram(b *testing.B) string {
	root, err := gittest.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "floor")
	cmd := exec.Command("go", "build", "-o", bin, "./bench/floor")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as gittest builds the sync
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building bench/floor: %v\n%s", err, out)
	}
	return bin
}

// benchFederation is the name of the benchmark's federation i.
func benchFederation(i int) string { return fmt.Sprintf("f%05d", i) }

// benchFloorProcesses runs bench/floor as shards processes side by
// side, each listing the share of the n federations the sync's shard of
// the same number owns (shard.Of), jobs at a time and hostJobs per
// server, and returns their wall time and the CPU they used. Each floor
// process makes the requests its sync shard makes: a shard's share is
// not a quarter of the whole (at 1,000 federations the four held 230 to
// 261), and the slowest shard is the sync's wall time.
func benchFloorProcesses(b *testing.B, bin string, srvs map[string]*advServer, n, shards, jobs, hostJobs int) (wall, cpu time.Duration) {
	dir := b.TempDir()
	lists := make([]strings.Builder, shards)
	for i := range n {
		for _, role := range roles {
			lists[shard.Of(benchFederation(i), shards)].WriteString(listingURL(srvs, i, role) + "\n")
		}
	}
	files := make([]string, shards)
	for k := range shards {
		list := &lists[k]
		files[k] = filepath.Join(dir, fmt.Sprintf("urls-%d", k))
		if err := os.WriteFile(files[k], []byte(list.String()), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Minute)
	defer cancel()
	cmds := make([]*exec.Cmd, shards)
	start := time.Now()
	for k, f := range files {
		cmds[k] = exec.CommandContext(ctx, bin, "-urls", f, "-jobs", fmt.Sprint(jobs), "-host-jobs", fmt.Sprint(hostJobs))
		cmds[k].Env = append(os.Environ(), "FLOOR_TOKEN="+benchToken)
		cmds[k].Stderr = os.Stderr
		if err := cmds[k].Start(); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			b.Fatalf("floor: %v", err)
		}
		cpu += processCPU(c.ProcessState)
	}
	return time.Since(start), cpu
}

// runListingSyncs runs `sync --all --jobs jobs` as shards processes side
// by side and measures them: their wall time and requests, and when
// observe is set their peak memory and open files, read from /proc
// while they run.
func runListingSyncs(b *testing.B, requests func() int64, bin string, env []string, where string, shards, jobs int, observe bool) scaleRun {
	b.Helper()
	before := requests()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var res scaleRun
	var wg sync.WaitGroup
	dir := b.TempDir()
	if where == "" {
		where = dir
	}
	start := time.Now()
	for k := range shards {
		args := []string{"sync", "--all", "--jobs", fmt.Sprint(jobs)}
		if shards > 1 {
			args = append(args, "--shard", fmt.Sprintf("%d/%d", k, shards))
		}
		cmd := exec.CommandContext(ctx, bin, args...)
		totals := filepath.Join(dir, fmt.Sprintf("totals-%d.json", k))
		cmd.Env, cmd.Dir = append(env[:len(env):len(env)], fedsync.TotalsEnv+"="+totals), where
		var errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &errOut
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			watch := func() (int, int64) { return 0, 0 }
			if observe {
				watch = watchFDs(cmd.Process.Pid)
			}
			err := cmd.Wait()
			maxFDs, hwm := watch()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				b.Errorf("sync %v: %v\n%s", args, err, lastLines(errOut.String(), 10))
			}
			res.cpu += processCPU(cmd.ProcessState)
			res.rssKiB = max(res.rssKiB, hwm)
			res.openFDs = max(res.openFDs, maxFDs)
			var t fedsync.Totals
			if data, err := os.ReadFile(totals); err == nil && json.Unmarshal(data, &t) == nil {
				res.counted += t.Requests
			}
		}()
	}
	wg.Wait()
	res.wall = time.Since(start)
	res.requests = int(requests() - before)
	return res
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
