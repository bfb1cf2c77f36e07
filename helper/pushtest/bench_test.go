package pushtest

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// BenchmarkWholePush pushes a whole generated repository (~30k objects)
// to an origin and three mirrors three ways, in the same run:
//
//   - federate: `git push fed 'refs/heads/*' 'refs/tags/*'` through federate:: (origin, then the
//     mirrors in parallel);
//   - hand: one plain push to origin, then three plain pushes in parallel
//     (the fastest honest way to do the same work by hand);
//   - pushurls: one remote with four pushurls, which git pushes one after
//     another.
//
// It reports seconds per way and the ratios federate/hand and
// federate/pushurls. Run it with
//
//	go test ./helper/pushtest -run '^$' -bench WholePush -benchtime 3x
//
// FEDERATE_BENCH_COMMITS sets the size (default 2500 commits, ~30k objects).
func BenchmarkWholePush(b *testing.B) {
	gittest.Isolate(b)
	commits := 2500
	if v := os.Getenv("FEDERATE_BENCH_COMMITS"); v != "" {
		fmt.Sscan(v, &commits)
	}
	work := generateRepo(b, commits)
	b.Logf("repository: %s objects", gittest.Git(b, work, "rev-list", "--all", "--objects", "--count"))
	gittest.Git(b, "", "config", "--global", "credential.helper", "store --file="+filepath.Join(b.TempDir(), "creds"))
	var srv [4]*gittest.Server
	for i := range srv {
		tok := fmt.Sprintf("bench-token-%d", i)
		srv[i] = gittest.NewServer(b, gittest.Auth{Token: tok})
		host := strings.TrimPrefix(srv[i].URL, "http://")
		b.Setenv(keystore.EnvName(host), tok)
		// Plain git gets the same token from git's own store helper.
		in := fmt.Sprintf("protocol=http\nhost=%s\nusername=x\npassword=%s\n\n", host, tok)
		cmd := exec.Command("git", "credential", "approve")
		cmd.Stdin = strings.NewReader(in)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("credential approve: %v %s", err, out)
		}
	}
	const heads, tags = "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"
	var fed, hand, urls time.Duration
	for n := 0; b.Loop(); n++ {
		repos := func(way string) []string {
			var u []string
			for i, s := range srv {
				u = append(u, s.InitBare(b, fmt.Sprintf("%s-%d-%d.git", way, n, i)))
			}
			return u
		}
		ways := []func(){
			func() {
				u := repos("fed")
				name := fmt.Sprintf("f%d", n)
				gittest.Git(b, "", "config", "--global", "federation."+name+".origin", u[0])
				for _, m := range u[1:] {
					gittest.Git(b, "", "config", "--global", "--add", "federation."+name+".mirror", m)
				}
				fed += timed(func() { gitRun(b, work, "push", "-q", "federate::"+name, heads, tags) })
			},
			func() {
				u := repos("hand")
				hand += timed(func() {
					gitRun(b, work, "push", "-q", u[0], heads, tags)
					var wg sync.WaitGroup
					for _, m := range u[1:] {
						wg.Add(1)
						go func() { defer wg.Done(); gitRun(b, work, "push", "-q", m, heads, tags) }()
					}
					wg.Wait()
				})
			},
			func() {
				u := repos("urls")
				remote := fmt.Sprintf("multi%d", n)
				gittest.Git(b, work, "remote", "add", remote, u[0])
				for _, x := range u {
					gittest.Git(b, work, "config", "--add", "remote."+remote+".pushurl", x)
				}
				urls += timed(func() { gitRun(b, work, "push", "-q", remote, heads, tags) })
			},
		}
		// Rotate the order each round: the machine is shared and noisy,
		// and whatever runs first or last should not always be the same way.
		for i := range ways {
			ways[(i+n)%len(ways)]()
		}
		want := gittest.Git(b, work, "rev-parse", "refs/tags/v1")
		for i, s := range srv { // every way really landed everywhere
			for _, way := range []string{"fed", "hand", "urls"} {
				if got := gittest.RefOf(b, s.Path(fmt.Sprintf("%s-%d-%d.git", way, n, i)), "refs/tags/v1"); got != want {
					b.Fatalf("%s: server %d has v1 = %q, want %q", way, i, got, want)
				}
			}
		}
	}
	k := float64(b.N)
	b.ReportMetric(fed.Seconds()/k, "federate-s")
	b.ReportMetric(hand.Seconds()/k, "hand-s")
	b.ReportMetric(urls.Seconds()/k, "pushurls-s")
	b.ReportMetric(fed.Seconds()/hand.Seconds(), "federate/hand")
	b.ReportMetric(fed.Seconds()/urls.Seconds(), "federate/pushurls")
}

func timed(fn func()) time.Duration {
	start := time.Now()
	fn()
	return time.Since(start)
}

func gitRun(b *testing.B, dir string, args ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// generateRepo builds a deterministic repository with git fast-import:
// commits touching 4 of 2000 files (20 directories, mixed sizes) each,
// a side branch and a tag every 250 commits.
func generateRepo(b *testing.B, commits int) string {
	dir := filepath.Join(b.TempDir(), "big")
	gittest.Git(b, "", "init", "-q", "-b", "main", dir)
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(stdin)
	r := rand.New(rand.NewPCG(1, 2))
	const files = 2000
	blob := func(path string, n int) {
		size := 200 + r.IntN(4000)
		if r.IntN(50) == 0 {
			size = 50000 + r.IntN(100000)
		}
		var sb strings.Builder
		for sb.Len() < size {
			fmt.Fprintf(&sb, "%s line %d %x\n", path, n, r.Uint64())
		}
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", path, sb.Len(), sb.String())
	}
	path := func(i int) string { return fmt.Sprintf("dir%02d/file%04d.txt", i%20, i) }
	for c := 1; c <= commits; c++ {
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\ncommitter Bench <b@example.com> %d +0000\ndata 12\ncommit %05d\n", c, 1700000000+c*60, c)
		if c > 1 {
			fmt.Fprintf(w, "from :%d\n", c-1)
		}
		if c == 1 {
			for i := range files {
				blob(path(i), c)
			}
		} else {
			for range 4 {
				blob(path(r.IntN(files)), c)
			}
		}
		w.WriteString("\n")
		if c%250 == 0 {
			fmt.Fprintf(w, "reset refs/tags/v%d\nfrom :%d\n\n", c/250, c)
		}
	}
	fmt.Fprintf(w, "reset refs/heads/side\nfrom :%d\n\n", commits/2)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	gittest.Git(b, dir, "reset", "-q", "--hard")
	gittest.Git(b, dir, "repack", "-adq")
	return dir
}
