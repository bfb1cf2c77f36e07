// Package lfs benchmarks a push of Git LFS objects through a federation
// against git-lfs by hand, in the same run, on real Gitea LFS servers:
//
//	go test -run '^$' -bench LFS -benchtime 1x ./bench/lfs/
//	BENCH_LFS_OBJECTS=20 go test -run '^$' -bench LFS -benchtime 1x ./bench/lfs/   # a quick look
//
// Each iteration pushes 200 new LFS objects of 1 MiB (fresh bytes, so no
// server already holds them) to an origin and two mirrors: once with
// `git push` to a federate:: remote, once by hand (`git lfs push` then
// `git push` to each server). It reports both times and their ratio.
package lfs

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

func TestMain(m *testing.M) { os.Exit(gittest.Main(m)) }

// objects is how many 1 MiB files a push carries.
func objects() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_LFS_OBJECTS")); err == nil && n > 0 {
		return n
	}
	return 200
}

func git(b *testing.B, dir string, env []string, args ...string) {
	b.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// workRepo is a repository with n new LFS files of 1 MiB on main.
func workRepo(b *testing.B, seed uint64, n int) string {
	b.Helper()
	dir := b.TempDir()
	git(b, dir, nil, "init", "-q")
	git(b, dir, nil, "lfs", "track", "*.bin")
	r := rand.New(rand.NewPCG(seed, seed))
	buf := make([]byte, 1<<20)
	for i := range n {
		for j := range buf {
			buf[j] = byte(r.UintN(256))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.bin", i)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	git(b, dir, nil, "add", ".")
	git(b, dir, nil, "commit", "-qm", "large files")
	return dir
}

func BenchmarkLFSPushOriginAndTwoMirrors(b *testing.B) {
	gittest.Isolate(b)
	servers := []*gittest.Gitea{gittest.StartGiteaLFS(b), gittest.StartGiteaLFS(b), gittest.StartGiteaLFS(b)}
	for _, g := range servers {
		u, _ := url.Parse(g.URL)
		b.Setenv(keystore.EnvName(u.Host), g.Token)
	}
	git(b, "", nil, "lfs", "install")
	n := objects()
	var fed, plain time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		name := fmt.Sprintf("f%d", i)
		var repos, plainRepos []string
		for _, g := range servers {
			repos = append(repos, g.CreateRepo(b, "fed-"+name).CloneURL)
			plainRepos = append(plainRepos, g.CreateRepo(b, "plain-"+name).CloneURL)
		}
		git(b, "", nil, "config", "--global", "federation."+name+".origin", repos[0])
		git(b, "", nil, "config", "--global", "--replace-all", "federation."+name+".mirror", repos[1])
		git(b, "", nil, "config", "--global", "--add", "federation."+name+".mirror", repos[2])
		fedWork, plainWork := workRepo(b, uint64(2*i+1), n), workRepo(b, uint64(2*i+2), n)
		git(b, fedWork, nil, "remote", "add", "fed", "federate::"+name)
		b.StartTimer()

		start := time.Now()
		git(b, fedWork, nil, "push", "-q", "fed", "HEAD:refs/heads/main")
		fed += time.Since(start)

		start = time.Now()
		for k, g := range servers {
			git(b, plainWork, g.GitEnv(), "lfs", "push", plainRepos[k], "HEAD")
			git(b, plainWork, append(g.GitEnv(), "GIT_LFS_SKIP_PUSH=1"), "push", "-q", plainRepos[k], "HEAD:refs/heads/main")
		}
		plain += time.Since(start)
	}
	b.ReportMetric(fed.Seconds()/float64(b.N), "fed-s/op")
	b.ReportMetric(plain.Seconds()/float64(b.N), "by-hand-s/op")
	b.ReportMetric(fed.Seconds()/plain.Seconds(), "fed/by-hand")
}
