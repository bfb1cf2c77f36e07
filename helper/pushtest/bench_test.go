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
// federate/pushurls, and the CPU seconds (user + system) of each way's
// whole client process tree (git push and every process under it, from
// the rusage of its wait; the servers run in this process and are not
// counted), with plain-cpu-s the one plain push to origin. Run it with
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
	var fedCPU, plainCPU, handCPU, urlsCPU time.Duration
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
				fed += timed(func() { fedCPU += gitRun(b, work, "push", "-q", "federate::"+name, heads, tags) })
			},
			func() {
				u := repos("hand")
				hand += timed(func() {
					cpu := gitRun(b, work, "push", "-q", u[0], heads, tags)
					plainCPU += cpu
					handCPU += cpu
					var wg sync.WaitGroup
					var mu sync.Mutex
					for _, m := range u[1:] {
						wg.Add(1)
						go func() {
							defer wg.Done()
							cpu := gitRun(b, work, "push", "-q", m, heads, tags)
							mu.Lock()
							handCPU += cpu
							mu.Unlock()
						}()
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
				urls += timed(func() { urlsCPU += gitRun(b, work, "push", "-q", remote, heads, tags) })
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
	b.ReportMetric(fedCPU.Seconds()/k, "federate-cpu-s")
	b.ReportMetric(plainCPU.Seconds()/k, "plain-cpu-s")
	b.ReportMetric(handCPU.Seconds()/k, "hand-cpu-s")
	b.ReportMetric(urlsCPU.Seconds()/k, "pushurls-cpu-s")
}

func timed(fn func()) time.Duration {
	start := time.Now()
	fn()
	return time.Since(start)
}

// gitRun runs git args in dir and returns the CPU time (user + system)
// of git and every process under it that it waited for.
func gitRun(b *testing.B, dir string, args ...string) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
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

// BenchmarkNetworkPush pushes one commit to servers that answer every
// HTTP request late (50 ms, then 200 ms: a server on another continent),
// five ways in the same run:
//
//   - plain: `git push` to origin alone, with git's store credential
//     helper (the baseline: what the user pays without federate);
//   - federate: `git push federate::` to origin and three mirrors;
//   - background: the same with mirrorPush = background;
//   - hand: a push to origin, then three in parallel, the token sent up
//     front (http.extraHeader);
//   - pushurls: one remote with four pushurls, the token sent up front.
//
// Each way pushes to fresh repositories holding the parent commit. The
// servers' own request logs give the requests per server, and the
// mirrors' requests that started after origin answered the push (the
// cost of a mirror once origin's verdict is in). It reports medians and
// the ratios to the plain push. Run it with
//
//	go test ./helper/pushtest -run '^$' -bench NetworkPush -benchtime 5x
func BenchmarkNetworkPush(b *testing.B) {
	for _, d := range []time.Duration{50 * time.Millisecond, 200 * time.Millisecond} {
		b.Run("delay="+d.String(), func(b *testing.B) { networkPush(b, d) })
	}
}

// netWay is one way of pushing, measured.
type netWay struct {
	name  string
	push  func(n int, urls []string)
	walls []time.Duration
	// requests per server (origin first), and the mirrors' requests
	// after origin's verdict, summed over runs.
	requests [4]int
	after    int
}

func networkPush(b *testing.B, delay time.Duration) {
	gittest.Isolate(b)
	gittest.Git(b, "", "config", "--global", "credential.helper", "store --file="+filepath.Join(b.TempDir(), "creds"))
	var srv [4]*gittest.Server
	var upFront []string // -c options sending each server's token in a header
	for i := range srv {
		tok := fmt.Sprintf("net-token-%d", i)
		srv[i] = gittest.NewServer(b, gittest.Auth{Token: tok})
		srv[i].AddFault(gittest.Fault{Prefix: "/", Delay: delay})
		host := strings.TrimPrefix(srv[i].URL, "http://")
		b.Setenv(keystore.EnvName(host), tok)
		in := fmt.Sprintf("protocol=http\nhost=%s\nusername=x\npassword=%s\n\n", host, tok)
		cmd := exec.Command("git", "credential", "approve")
		cmd.Stdin = strings.NewReader(in)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("credential approve: %v %s", err, out)
		}
		upFront = append(upFront, "-c", "http."+srv[i].URL+"/.extraHeader=Authorization: Basic "+gittest.BasicAuthHeader("x", tok))
	}
	work := gittest.NewWorkRepo(b)
	base := gittest.Git(b, work, "rev-parse", "HEAD")
	tip := gittest.Commit(b, work, "next", "one more\n", "next")
	fedName := func(n int, bg bool) string { return fmt.Sprintf("f%d%v", n, bg) }
	federate := func(bg bool) func(int, []string) {
		return func(n int, u []string) {
			name := fedName(n, bg)
			gittest.Git(b, "", "config", "--global", "federation."+name+".origin", u[0])
			for _, m := range u[1:] {
				gittest.Git(b, "", "config", "--global", "--add", "federation."+name+".mirror", m)
			}
			if bg {
				gittest.Git(b, "", "config", "--global", "federation."+name+".mirrorPush", "background")
			}
		}
	}
	ways := []*netWay{
		{name: "plain", push: func(n int, u []string) { gitRun(b, work, "push", "-q", u[0], "main") }},
		{name: "federate", push: func(n int, u []string) { gitRun(b, work, "push", "-q", "federate::"+fedName(n, false), "main") }},
		{name: "background", push: func(n int, u []string) { gitRun(b, work, "push", "-q", "federate::"+fedName(n, true), "main") }},
		{name: "hand", push: func(n int, u []string) {
			gitRun(b, work, append(append([]string(nil), upFront...), "push", "-q", u[0], "main")...)
			var wg sync.WaitGroup
			for _, m := range u[1:] {
				wg.Add(1)
				go func() {
					defer wg.Done()
					gitRun(b, work, append(append([]string(nil), upFront...), "push", "-q", m, "main")...)
				}()
			}
			wg.Wait()
		}},
		{name: "pushurls", push: func(n int, u []string) {
			gitRun(b, work, append(append([]string(nil), upFront...), "push", "-q", fmt.Sprintf("multi%d", n), "main")...)
		}},
	}
	prepare := map[string]func(int, []string){
		"federate":   federate(false),
		"background": federate(true),
		"pushurls": func(n int, u []string) {
			remote := fmt.Sprintf("multi%d", n)
			gittest.Git(b, work, "remote", "add", remote, u[0])
			for _, x := range u {
				gittest.Git(b, work, "config", "--add", "remote."+remote+".pushurl", x)
			}
		},
	}
	for n := 0; b.Loop(); n++ {
		for i := range ways {
			w := ways[(i+n)%len(ways)] // rotate: the machine is shared and noisy
			repo := fmt.Sprintf("%s-%d.git", w.name, n)
			var urls []string
			for _, s := range srv {
				gittest.Git(b, "", "init", "-q", "--bare", "-b", "main", s.Path(repo))
				gittest.Git(b, work, "push", "-q", s.Path(repo), base+":refs/heads/main")
				urls = append(urls, s.RepoURL(repo))
			}
			if p := prepare[w.name]; p != nil {
				p(n, urls)
			}
			w.walls = append(w.walls, timed(func() { w.push(n, urls) }))
			servers := srv[:]
			if w.name == "plain" {
				servers = srv[:1]
			}
			for j, s := range servers {
				waitRef(b, s.Path(repo), tip)
				w.requests[j] += countRequests(s, "/"+repo)
			}
			if len(servers) > 1 {
				verdict := pushAnswered(srv[0], "/"+repo)
				for _, s := range srv[1:] {
					w.after += countAfter(s, "/"+repo, verdict)
				}
			}
		}
	}
	k := float64(len(ways[0].walls))
	plain := gittest.Median(ways[0].walls)
	for _, w := range ways {
		m := gittest.Median(w.walls)
		b.ReportMetric(float64(m.Milliseconds()), w.name+"-ms")
		b.ReportMetric(m.Seconds()/plain.Seconds(), w.name+"/plain")
		b.ReportMetric(float64(w.requests[0])/k, w.name+"-origin-req")
		if w.name != "plain" {
			b.ReportMetric(float64(w.requests[1]+w.requests[2]+w.requests[3])/3/k, w.name+"-mirror-req")
			b.ReportMetric(float64(w.after)/3/k, w.name+"-mirror-req-after-origin")
		}
		b.Logf("%-10s wall %6v (%.2fx plain)  requests origin %.1f, per mirror %.1f (%.1f after origin's verdict)",
			w.name, m.Round(time.Millisecond), m.Seconds()/plain.Seconds(), float64(w.requests[0])/k,
			float64(w.requests[1]+w.requests[2]+w.requests[3])/3/k, float64(w.after)/3/k)
	}
}

// waitRef waits (bounded) until the bare repository at path has main at
// want: a background push lands after git push returned.
func waitRef(b *testing.B, path, want string) {
	deadline := time.Now().Add(time.Minute)
	for gittest.RefOf(b, path, "refs/heads/main") != want {
		if time.Now().After(deadline) {
			b.Fatalf("%s: main never reached %s", path, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countRequests counts the requests s served for the repository at prefix.
func countRequests(s *gittest.Server, prefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, prefix+"/") {
			n++
		}
	}
	return n
}

// pushAnswered is when s finished answering the last receive-pack POST
// for the repository at prefix: origin's verdict.
func pushAnswered(s *gittest.Server, prefix string) time.Time {
	var t time.Time
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, prefix+"/") && r.Method == "POST" && r.Push() && r.End.After(t) {
			t = r.End
		}
	}
	return t
}

// countAfter counts the requests s received for prefix after t.
func countAfter(s *gittest.Server, prefix string, t time.Time) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, prefix+"/") && !r.Start.Before(t) {
			n++
		}
	}
	return n
}
