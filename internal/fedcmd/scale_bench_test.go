//go:build unix

package fedcmd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// BenchmarkSyncAllScale runs the real `git federate sync --all` over many
// small federations (origin + 1 mirror each, on one local server), with
// every federation unchanged and with 5% of origins changed, whole and
// split over 4 shards run side by side. It reports wall time, the
// server's request count, and the sync process's peak RSS and open files.
// BENCH_SCALE sets the sizes (default "100,300,1000"). A benchmark, never
// a timed test.
//
//	go test ./internal/fedcmd -run '^$' -bench SyncAllScale -benchtime 1x -timeout 60m
func BenchmarkSyncAllScale(b *testing.B) {
	sizes := []int{100, 300, 1000}
	if v := os.Getenv("BENCH_SCALE"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			var n int
			fmt.Sscan(f, &n)
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchScale(b, n) })
	}
}

// scaleRun is what one measured run cost.
type scaleRun struct {
	wall     time.Duration
	requests int
	counted  int64         // the requests the sync processes counted (--json totals)
	rssKiB   int64         // the largest peak RSS of the sync processes (VmHWM)
	openFDs  int           // the most file descriptors one sync process held
	cpu      time.Duration // the CPU of the sync processes and their git runs
}

// processCPU is the CPU p used, its user and system time, with that of
// the children it waited for (the sync's git runs), as Linux's wait4
// reports them.
func processCPU(p *os.ProcessState) time.Duration {
	if p == nil {
		return 0
	}
	return p.UserTime() + p.SystemTime()
}

func benchScale(b *testing.B, n int) {
	gittest.Isolate(b)
	srv := gittest.NewServer(b, gittest.Auth{})
	bin := filepath.Join(gittest.BinDir(b), "git-federate")
	work := gittest.NewWorkRepo(b)
	seed := filepath.Join(b.TempDir(), "seed.git")
	gittest.Git(b, "", "clone", "-q", "--bare", work, seed)
	cfg := filepath.Join(b.TempDir(), "gitconfig")
	var conf strings.Builder
	for i := range n {
		for _, role := range []string{"o", "m"} {
			if out, err := exec.Command("cp", "-r", seed, srv.Path(fmt.Sprintf("%s%04d.git", role, i))).CombinedOutput(); err != nil {
				b.Fatalf("cp: %v %s", err, out)
			}
		}
		fmt.Fprintf(&conf, "[federation \"f%04d\"]\n\torigin = %s\n\tmirror = %s\n", i,
			srv.RepoURL(fmt.Sprintf("o%04d.git", i)), srv.RepoURL(fmt.Sprintf("m%04d.git", i)))
	}
	if err := os.WriteFile(cfg, []byte(conf.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	env := append(os.Environ(), "GIT_CONFIG_GLOBAL="+cfg)
	run := func(shards int) scaleRun {
		return runSyncProcesses(b, srv, bin, env, shards)
	}
	run(1) // fill every cache; not measured
	change := func() {
		for i := 0; i < n; i += 20 { // 5%
			oid := gittest.Commit(b, work, "f.txt", fmt.Sprint(time.Now().UnixNano()), "change")
			gittest.Git(b, work, "push", "-q", srv.Path(fmt.Sprintf("o%04d.git", i)), oid+":refs/heads/main")
		}
	}
	var results [4]scaleRun
	for b.Loop() {
		results[0] = run(1)
		change()
		results[1] = run(1)
		results[2] = run(4)
		change()
		results[3] = run(4)
	}
	for i, name := range []string{"unchanged", "5pct", "unchanged-4shards", "5pct-4shards"} {
		r := results[i]
		b.ReportMetric(r.wall.Seconds(), name+"-s")
		b.ReportMetric(float64(r.requests), name+"-requests")
		b.ReportMetric(float64(r.rssKiB)/1024, name+"-peakRSS-MiB")
		b.ReportMetric(float64(r.openFDs), name+"-maxFDs")
	}
}

// runSyncProcesses runs `sync --all` as shards processes side by side
// (shard K/N each when shards > 1) and measures them.
func runSyncProcesses(b *testing.B, srv *gittest.Server, bin string, env []string, shards int) scaleRun {
	b.Helper()
	return runListingSyncs(b, func() int64 { return int64(len(srv.Requests())) }, bin, env, "", shards, 4, true)
}

// watchFDs samples how many files pid holds open, and its peak resident
// memory (VmHWM), until the returned function is called, which returns
// the most it saw of each. The peak is read from /proc, not from the
// process's rusage: a child that git's exec path forks shares its
// parent's memory until the exec, and Linux reports the parent's peak
// as the child's (ru_maxrss), here the benchmark's own with its servers.
func watchFDs(pid int) func() (fds int, hwmKiB int64) {
	stop := make(chan struct{})
	type most struct {
		fds int
		hwm int64
	}
	done := make(chan most)
	go func() {
		var m most
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
				m.fds = max(m.fds, len(fds))
			}
			m.hwm = max(m.hwm, vmHWM(pid))
			select {
			case <-stop:
				done <- m
				return
			case <-tick.C:
			}
		}
	}()
	return func() (int, int64) { close(stop); m := <-done; return m.fds, m.hwm }
}

// vmHWM is the peak resident memory of pid so far, in KiB (0 once it
// has exited).
func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kib)
			return kib
		}
	}
	return 0
}
