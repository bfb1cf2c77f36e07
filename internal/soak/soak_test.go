//go:build soak

package soak

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/helper"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/lockfile"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

var (
	duration = flag.Duration("duration", 60*time.Second, "how long the soak runs (faults and operations)")
	seedFlag = flag.Uint64("seed", 0, "random seed; 0 takes one from the clock (printed either way)")
)

func TestMain(m *testing.M) { os.Exit(gittest.Main(m)) }

// opTimeout bounds every operation the soak runs: nothing waits for ever.
const opTimeout = 2 * time.Minute

// checkTimeout bounds the checker's own git commands (for-each-ref,
// merge-base, fsck). No loaded machine reaches it: a checker command cut
// by its limit would be reported as what it failed to check.
const checkTimeout = 30 * time.Minute

// server is origin or a mirror: git http-backend with its own token,
// reached through its fault proxy.
type server struct {
	name  string
	srv   *gittest.Server
	px    *proxy
	url   string // through the proxy, as the federation names it
	path  string // the bare repository on disk
	token string
	ssh   bool // reached over ssh (through the proxy to sshd): no HTTP faults
}

// soak is one run: its servers, working copies, history of what origin
// did, and what it found.
type soak struct {
	t       *testing.T
	rng     *rand.Rand
	home    string
	mark    string // in the environment of everything the soak starts
	servers []*server
	wcs     []string
	scratch string

	// serve (with webhooks) and sync --daemon, started and killed at
	// random; serve listens where it logs (serveAddr) and checks secret.
	long   []*longLived
	secret string

	mu      sync.Mutex
	stats   map[string]int
	outputs strings.Builder
	found   []string
	seen    map[string]bool // violations already reported, by what they are about

	step             int
	origin           map[string]string // origin's refs at the last check
	originChangedNow map[string]bool   // refs origin changed during this step
	originChanged    map[string]int    // ref -> last step origin rewound or deleted it
	mirrorLast       []map[string]string
	mirrorSince      []map[string]int    // when each mirror ref took its value
	rogue            []map[string]string // mirror -> ref -> commit pushed to it behind origin's back
	// had is, per server (origin first), every value each ref had at a
	// check ("" when it did not exist): what a queued update's old value
	// may be.
	had []map[string]map[string]bool
}

// TestSoak runs the chaos soak for -duration with -seed.
func TestSoak(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("soak: seed %d, duration %v (rerun: go test -tags soak -run TestSoak ./internal/soak -args -duration %v -seed %d)",
		seed, *duration, *duration, seed)
	s := newSoak(t, seed)
	ctx, stopFaults := context.WithCancel(context.Background())
	var faults sync.WaitGroup
	faults.Add(1)
	go func() { defer faults.Done(); s.injectFaults(ctx, seed+1) }()

	start := time.Now()
	for time.Since(start) < *duration {
		s.step++
		s.lifecycle()
		s.operate(time.Since(start) < *duration*2/3)
		s.check(false)
	}
	stopFaults()
	faults.Wait()
	for _, sv := range s.servers {
		sv.px.set(faultNone)
		sv.srv.ClearFaults()
		sv.srv.SetAuth(gittest.Auth{Token: sv.token})
	}
	s.step++
	s.quiesce()
	s.liveness()
	s.final()
	s.report(time.Since(start), seed)
	for _, v := range s.found {
		t.Error(v)
	}
}

func newSoak(t *testing.T, seed uint64) *soak {
	s := &soak{t: t, rng: rand.New(rand.NewPCG(seed, 1)), home: gittest.Isolate(t), stats: map[string]int{}, seen: map[string]bool{},
		origin: map[string]string{}, originChanged: map[string]int{}}
	s.mark = fmt.Sprintf("soak-%d-%d", os.Getpid(), seed)
	// mirror3 is reached over ssh: a real sshd on 127.0.0.1, behind its
	// own fault proxy like the others.
	sshd := gittest.StartSSHD(t)
	for i, name := range []string{"origin", "mirror1", "mirror2", "mirror3"} {
		token := fmt.Sprintf("soaktok-%s-%016x", name, s.rng.Uint64())
		srv := gittest.NewServer(t, gittest.Auth{Token: token})
		srv.InitBare(t, "app.git")
		u, _ := url.Parse(srv.URL)
		target := u.Host
		if name == "mirror3" {
			target = fmt.Sprintf("127.0.0.1:%d", sshd.Port)
		}
		px, err := newProxy(target, seed+uint64(10+i))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(px.close)
		t.Setenv(keystore.EnvName(px.addr), token)
		sv := &server{name: name, srv: srv, px: px, url: "http://" + px.addr + "/app.git",
			path: srv.Path("app.git"), token: token}
		if name == "mirror3" {
			sv.ssh = true
			sv.url = fmt.Sprintf("ssh://%s@%s%s", sshd.User, px.addr, sv.path)
			trustSSHProxy(t, sshd, px.addr)
		}
		s.servers = append(s.servers, sv)
		s.mirrorLast = append(s.mirrorLast, map[string]string{})
		s.mirrorSince = append(s.mirrorSince, map[string]int{})
		s.rogue = append(s.rogue, map[string]string{})
		s.had = append(s.had, map[string]map[string]bool{})
	}
	seedRepo := gittest.NewWorkRepo(t)
	var paths []string
	for _, sv := range s.servers {
		paths = append(paths, sv.path)
	}
	gittest.Seed(t, seedRepo, paths...)
	gittest.Git(t, "", "config", "--global", "federation.soak.origin", s.servers[0].url)
	for _, sv := range s.servers[1:] {
		gittest.Git(t, "", "config", "--global", "--add", "federation.soak.mirror", sv.url)
	}
	// A short limit: hung servers are the point here. prune: the final
	// sync also carries deletions.
	gittest.Git(t, "", "config", "--global", "federation.soak.timeout", "10s")
	gittest.Git(t, "", "config", "--global", "federation.soak.prune", "true")
	for i := range 3 {
		wc := filepath.Join(t.TempDir(), fmt.Sprintf("wc%d", i))
		gittest.Git(t, "", "clone", "-q", "federate::soak", wc)
		if i == 2 {
			gittest.Git(t, wc, "config", "federation.soak.mirrorPush", "background")
		}
		s.wcs = append(s.wcs, wc)
	}
	s.scratch = gittest.NewWorkRepo(t)
	s.origin = s.refs(s.servers[0].path)
	s.record(0, s.origin, true)
	for i := range s.servers[1:] {
		s.mirrorLast[i] = s.refs(s.servers[i+1].path)
		s.record(i+1, s.mirrorLast[i], true)
	}
	s.secret = fmt.Sprintf("soaksecret-%016x", s.rng.Uint64())
	// serve listens on port 0 and logs the port it got (serveAddr): a
	// port chosen ahead could be taken before it binds.
	serve := &longLived{name: "serve", env: []string{"FEDERATE_WEBHOOK_SECRET=" + s.secret},
		args: []string{"serve", "--listen", "127.0.0.1:0", "--jobs", "2"}}
	s.long = []*longLived{serve, {name: "sync --daemon", args: []string{"sync", "--daemon", "--all"}}}
	t.Cleanup(func() {
		for _, l := range s.long {
			s.kill(l, 0)
			l.wait()
		}
	})
	return s
}

// trustSSHProxy lets ssh reach sshd through the proxy at addr: the
// client's known_hosts gets sshd's host key for that address too, and
// every git the soak starts uses the test's ssh client config.
func trustSSHProxy(t *testing.T, d *gittest.SSHD, addr string) {
	key, err := os.ReadFile(filepath.Join(d.Dir, "host_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(addr, ":")
	f, err := os.OpenFile(filepath.Join(d.Dir, "known_hosts"), os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "\n[%s]:%s %s", host, port, key); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_SSH_COMMAND", d.GitSSHCommand())
}

// count adds one to a figure.
func (s *soak) count(what string) {
	s.mu.Lock()
	s.stats[what]++
	s.mu.Unlock()
}

// violation records what an invariant found, once per thing it is
// about (key; "" is always new).
func (s *soak) violation(key, format string, args ...any) {
	if key != "" && s.seen[key] {
		return
	}
	s.seen[key] = true
	msg := fmt.Sprintf("step %d: ", s.step) + fmt.Sprintf(format, args...)
	s.t.Log("VIOLATION " + msg)
	s.found = append(s.found, msg)
}

// run runs a command of the soak in dir, bounded by opTimeout; with
// killAfter > 0 its whole process group is SIGKILLed after that long.
func (s *soak) run(dir string, killAfter time.Duration, name string, args ...string) (string, error) {
	return s.runLimit(opTimeout, dir, killAfter, name, args...)
}

// inspect runs one of the checker's git commands in dir.
func (s *soak) inspect(dir string, args ...string) (string, error) {
	return s.runLimit(checkTimeout, dir, 0, "git", args...)
}

// runLimit is run with its own limit.
func (s *soak) runLimit(limit time.Duration, dir string, killAfter time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FEDERATE_SOAK_MARK="+s.mark)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	if killAfter > 0 {
		timer := time.AfterFunc(killAfter, func() {
			if syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) == nil {
				s.count("sigkill " + name + " " + args[0])
			}
		})
		defer timer.Stop()
	}
	err := cmd.Wait()
	s.mu.Lock()
	s.outputs.WriteString(out.String())
	s.mu.Unlock()
	return out.String(), err
}

// maybeKill is a random moment to SIGKILL a command at, or 0 (not killed).
func (s *soak) maybeKill() time.Duration {
	if s.rng.IntN(100) < 15 {
		return time.Duration(50+s.rng.IntN(2500)) * time.Millisecond
	}
	return 0
}

var branches = []string{"main", "b1", "b2", "b3", "b4"}

// operate does one random operation in a random working copy.
func (s *soak) operate(rogueAllowed bool) {
	wc := s.wcs[s.rng.IntN(len(s.wcs))]
	// A SIGKILLed git may leave its index lock: git's own, not ours.
	os.Remove(filepath.Join(wc, ".git", "index.lock"))
	br := branches[s.rng.IntN(len(branches))]
	var op string
	var err error
	switch r := s.rng.IntN(100); {
	case r < 35:
		op, err = "push commit", s.pushCommit(wc, br, false)
	case r < 45:
		op, err = "force-push", s.pushCommit(wc, br, true)
	case r < 53 && br != "main":
		op, err = "delete branch", s.push(wc, ":refs/heads/"+br)
	case r < 65:
		op, err = "push tag", s.pushTag(wc)
	case r < 80:
		op = "sync --all"
		var out string
		out, err = s.run(wc, s.maybeKill(), "git-federate", "sync", "--all")
		s.t.Logf("step %d: git federate sync --all in %s: %v\n%s", s.step, filepath.Base(wc), err, strings.TrimSpace(out))
	case r < 88:
		op = "clone"
		_, err = s.run(s.home, s.maybeKill(), "git", "clone", "-q", "federate::soak", filepath.Join(s.t.TempDir(), "c"))
	case r < 93 && rogueAllowed:
		op, err = "commit on a mirror behind origin's back", s.rogueCommit(br)
	default:
		op, err = "fetch", s.fetch(wc)
	}
	if err != nil {
		s.count("op " + op + " (failed)")
	} else {
		s.count("op " + op)
	}
	s.t.Logf("step %d: %s in %s: %v", s.step, op, filepath.Base(wc), err)
	switch op {
	case "push commit", "force-push", "delete branch", "push tag":
		// The forge tells serve about the push (whether or not it
		// reached origin: a forge may deliver for a push git saw fail).
		if s.rng.IntN(100) < 50 {
			s.deliver(s.rng.IntN(10) == 0)
		}
	}
}

func (s *soak) fetch(wc string) error {
	_, err := s.run(wc, 0, "git", "fetch", "-q", "--prune", "--force", "origin", "+refs/tags/*:refs/tags/*")
	return err
}

// pushCommit commits on br (from origin's value, or main's for a new
// branch) and pushes it; force rewinds one commit first.
func (s *soak) pushCommit(wc, br string, force bool) error {
	if err := s.fetch(wc); err != nil {
		return err
	}
	base := "origin/" + br
	if _, err := s.run(wc, 0, "git", "rev-parse", "-q", "--verify", base); err != nil {
		base = "origin/main"
	}
	if _, err := s.run(wc, 0, "git", "checkout", "-q", "-f", "-B", br, base); err != nil {
		return err
	}
	if force {
		s.run(wc, 0, "git", "reset", "-q", "--hard", "HEAD~1")
	}
	f := fmt.Sprintf("f%d.txt", s.rng.IntN(20))
	if err := os.WriteFile(filepath.Join(wc, f), []byte(fmt.Sprintf("%d\n", s.rng.Uint64())), 0o644); err != nil {
		return err
	}
	if _, err := s.run(wc, 0, "git", "add", f); err != nil {
		return err
	}
	if _, err := s.run(wc, 0, "git", "commit", "-q", "-m", "soak step "+fmt.Sprint(s.step)); err != nil {
		return err
	}
	spec := br + ":refs/heads/" + br
	if force {
		spec = "+" + spec
	}
	return s.push(wc, spec)
}

func (s *soak) pushTag(wc string) error {
	if err := s.fetch(wc); err != nil {
		return err
	}
	tag := fmt.Sprintf("t%d", s.rng.IntN(6))
	args := []string{"tag", "-f", tag, "origin/main"}
	if s.rng.IntN(2) == 0 {
		args = []string{"tag", "-f", "-a", "-m", "soak", tag, "origin/main"}
	}
	if _, err := s.run(wc, 0, "git", args...); err != nil {
		return err
	}
	return s.push(wc, "+refs/tags/"+tag+":refs/tags/"+tag)
}

func (s *soak) push(wc, spec string) error {
	kill := s.maybeKill()
	out, err := s.run(wc, kill, "git", "push", "-q", "origin", spec)
	s.t.Logf("step %d: git push %s in %s (SIGKILL after %v): %v\n%s", s.step, spec, filepath.Base(wc), kill, err, strings.TrimSpace(out))
	return err
}

// rogueCommit pushes a commit to a mirror directly (not through the
// federation): the mirror's ref now has a commit origin lacks. Sync must
// keep it (force is off) and report it.
func (s *soak) rogueCommit(br string) error {
	i := 1 + s.rng.IntN(3)
	m := s.servers[i]
	if s.rogue[i-1]["refs/heads/"+br] != "" || br == "main" {
		return errors.New("already diverged, or main")
	}
	if _, err := s.run(s.scratch, 0, "git", "fetch", "-q", m.path, "refs/heads/"+br); err != nil {
		return err
	}
	c, err := s.run(s.scratch, 0, "git", "commit-tree", "-p", "FETCH_HEAD", "-m", "only on "+m.name, "FETCH_HEAD^{tree}")
	if err != nil {
		return err
	}
	c = strings.TrimSpace(c)
	if _, err := s.run(s.scratch, 0, "git", "push", "-q", m.path, c+":refs/heads/"+br); err != nil {
		return err
	}
	ref := "refs/heads/" + br
	s.rogue[i-1][ref] = c
	s.mirrorLast[i-1][ref] = c
	s.mirrorSince[i-1][ref] = s.step
	s.t.Logf("step %d: %s: refs/heads/%s = %s, a commit origin does not have", s.step, m.name, br, c)
	return nil
}

// injectFaults turns random faults on and off on random servers until
// ctx ends: each lasts 1-5 s.
func (s *soak) injectFaults(ctx context.Context, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	kinds := []string{faultCut, faultHang, faultDrip, faultDown, "503", "429", "refused token"}
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(500+rng.IntN(2500)) * time.Millisecond):
		}
		sv := s.servers[rng.IntN(len(s.servers))]
		kind := kinds[rng.IntN(len(kinds))]
		if sv.ssh {
			kind = kinds[rng.IntN(4)] // the proxy's own: no HTTP over ssh
		}
		d := time.Duration(1000+rng.IntN(4000)) * time.Millisecond
		s.count("fault " + kind)
		s.t.Logf("fault %s on %s for %v", kind, sv.name, d)
		switch kind {
		case faultDown:
			sv.px.restart(d)
			continue
		case "503", "429":
			status := 503
			if kind == "429" {
				status = 429
			}
			sv.srv.AddFault(gittest.Fault{Prefix: "/", Status: status, Body: "repository is being read or written, retry later", Count: 1 + rng.IntN(6)})
		case "refused token":
			sv.srv.SetAuth(gittest.Auth{Token: "revoked"})
		default:
			sv.px.set(kind)
		}
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
		sv.px.set(faultNone)
		sv.srv.ClearFaults()
		sv.srv.SetAuth(gittest.Auth{Token: sv.token})
	}
}

// refs are the branches and tags of the repository at path.
func (s *soak) refs(path string) map[string]string {
	out, err := s.inspect(path, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags")
	if err != nil {
		s.violation("", "for-each-ref in %s: %v\n%s", path, err, out)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if name, oid, ok := strings.Cut(l, " "); ok {
			m[name] = oid
		}
	}
	return m
}

// isAncestor: git merge-base --is-ancestor, whose exit status 1 is "no";
// any other failure is the checker's and is reported as such.
func (s *soak) isAncestor(repo, a, b string) bool {
	out, err := s.inspect(repo, "merge-base", "--is-ancestor", a, b)
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
		s.violation("", "the checker's git merge-base --is-ancestor %s %s in %s: %v\n%s", a, b, repo, err, out)
	}
	return err == nil
}

// quiesce waits (bounded) for every process the soak started to end —
// background deliveries detach from the push; a server's git may finish
// a push whose client was killed; serve's and the daemon's syncs — and
// kills what remains. serve, the daemon and sshd themselves run on.
func (s *soak) quiesce() {
	deadline := time.Now().Add(90 * time.Second)
	for {
		busy, deliveries := s.ours()
		if len(busy) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range busy {
				syscall.Kill(p, syscall.SIGKILL)
				s.count("sigkill left over after 90s")
			}
			s.gone(busy)
			return
		}
		// Sometimes kill a background delivery at a random moment.
		if len(deliveries) > 0 && s.rng.IntN(100) < 5 {
			syscall.Kill(deliveries[0], syscall.SIGKILL)
			s.count("sigkill background delivery")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gone waits until the killed pids have exited (a SIGKILLed process
// may take a while to die on a loaded machine, and holds its locks
// until then). Not bounded by time: SIGKILL cannot be refused.
func (s *soak) gone(pids []int) {
	for _, p := range pids {
		for {
			if st, _ := stat(p); st == "" || st == "Z" {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// ours lists the live processes the soak is waiting for: those whose
// environment holds the soak's mark (what it ran, and what they
// started, even detached), and the servers' own (descendants of this
// process: git http-backend, sshd's sessions), but for the long-lived
// ones (serve, the daemon, sshd). deliveries are the background
// deliveries among them.
func (s *soak) ours() (busy, deliveries []int) {
	exempt := map[int]bool{}
	for _, l := range s.long {
		if p := l.pid(); p != 0 {
			exempt[p] = true
		}
	}
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil || pid == os.Getpid() {
			continue
		}
		state, ppid := stat(pid)
		if state == "" || state == "Z" {
			continue
		}
		parent[pid] = ppid
	}
	for pid, ppid := range parent {
		if exempt[pid] {
			continue
		}
		if ppid == os.Getpid() && comm(pid) == "sshd" {
			continue // sshd itself; its sessions are waited for
		}
		env, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "environ"))
		if err == nil && strings.Contains(string(env), "FEDERATE_SOAK_MARK="+s.mark+"\x00") || descends(parent, pid) {
			busy = append(busy, pid)
			if cmdline(pid, helper.DeliverArg) {
				deliveries = append(deliveries, pid)
			}
		}
	}
	return busy, deliveries
}

// descends reports whether pid is a descendant of this process.
func descends(parent map[int]int, pid int) bool {
	for range 64 {
		pp, ok := parent[pid]
		if pp == os.Getpid() {
			return true
		}
		if !ok || pp <= 1 {
			return false
		}
		pid = pp
	}
	return false
}

// comm is pid's command name.
func comm(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "comm"))
	return strings.TrimSpace(string(b))
}

// cmdline reports whether pid's command line has the argument arg.
func cmdline(pid int, arg string) bool {
	b, _ := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "cmdline"))
	return slices.Contains(strings.Split(string(b), "\x00"), arg)
}

// stat is pid's state ("R", "S", "Z", ...) and parent, or "" when gone.
func stat(pid int) (state string, ppid int) {
	b, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "stat"))
	if err != nil {
		return "", 0
	}
	// pid (comm) state ppid ...: comm may hold spaces, so read after ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 2 {
		return "", 0
	}
	fmt.Sscan(f[1], &ppid)
	return f[0], ppid
}

// check runs every invariant once nothing the soak started still runs.
func (s *soak) check(final bool) {
	s.quiesce()
	origin := s.refs(s.servers[0].path)
	s.originChangedNow = map[string]bool{}
	for _, ref := range union(origin, s.origin) {
		s.originChangedNow[ref] = origin[ref] != s.origin[ref]
	}
	for ref, old := range s.origin {
		now := origin[ref]
		if now == "" || (now != old && !s.isAncestor(s.servers[0].path, old, now)) {
			s.originChanged[ref] = s.step
		}
	}
	s.origin = origin
	s.record(0, origin, false)
	queued := s.queues()
	for i, m := range s.servers[1:] {
		s.checkMirror(i, m, origin, queued)
	}
	// serve's and the daemon's syncs may hold the federation's lock and
	// write to its cache at any moment: those are checked while both
	// are down (and always at the end).
	quiet := !s.longRunning()
	if quiet {
		s.count("check of the sync cache (serve and daemon down)")
	}
	s.checkLocks(quiet)
	s.checkFsck(final, quiet)
	s.checkTokens(final)
}

// record adds server i's refs to what each ref had (had); a ref seen for
// the first time after the start did not exist before.
func (s *soak) record(i int, refs map[string]string, start bool) {
	for ref, v := range refs {
		if s.had[i][ref] == nil {
			s.had[i][ref] = map[string]bool{"": !start}
		}
		s.had[i][ref][v] = true
	}
	for ref, vals := range s.had[i] {
		vals[refs[ref]] = true
	}
}

// queuedEntry is an entry of the queue of working copy wc.
type queuedEntry struct {
	wc string
	pending.Entry
}

// queues reads every working copy's queue: the entries of each (mirror,
// ref).
func (s *soak) queues() map[[2]string][]queuedEntry {
	q := map[[2]string][]queuedEntry{}
	for _, wc := range s.wcs {
		entries, err := pending.Open(filepath.Join(wc, ".git")).Load()
		if err != nil {
			s.violation("queue "+wc, "the queue of %s does not parse: %v", wc, err)
		}
		for _, e := range entries {
			k := [2]string{e.Mirror, e.Ref}
			q[k] = append(q[k], queuedEntry{wc: filepath.Base(wc), Entry: e})
		}
	}
	return q
}

// checkOld: each update queued for mirror i's ref, which differs from
// origin's (now is the mirror's value), keeps its old value, one the ref
// had on origin or on the mirror: the mirror's own when the writer
// listed it, else origin's before the push, or a queued entry's first.
func (s *soak) checkOld(i int, ref, now string, queued []queuedEntry) {
	m := s.servers[i+1]
	for _, e := range queued {
		old := e.Old
		if old == pending.Absent {
			old = ""
		}
		key := "old " + m.name + e.wc + ref + e.OID + e.Old
		s.count("check of a queued update's old value")
		switch {
		case e.Old == "":
			s.violation(key, "%s: %s queued in %s without its old value", m.name, ref, e.wc)
		case old == now, s.had[0][ref][old], s.had[i+1][ref][old], s.rogue[i][ref] == old && old != "":
		default:
			s.violation(key, "%s: %s queued in %s with an old value neither origin nor the mirror ever had (%s -> %s; the mirror has %q)",
				m.name, ref, e.wc, e.Old, e.OID, now)
		}
	}
}

// checkMirror: every ref origin has is on the mirror or queued for it; no
// mirror ref moved backwards or vanished unless origin did so; a ref
// committed to behind origin's back is kept.
func (s *soak) checkMirror(i int, m *server, origin map[string]string, queued map[[2]string][]queuedEntry) {
	refs := s.refs(m.path)
	s.record(i+1, refs, false)
	for ref, last := range s.mirrorLast[i] {
		now := refs[ref]
		if now == last {
			continue
		}
		// prune = true: a ref origin no longer has goes from the mirrors,
		// commits only there or not (as git push --prune does).
		pruned := now == "" && origin[ref] == ""
		moved := !pruned && (now == "" || !s.isAncestor(m.path, last, now))
		changed, ok := s.originChanged[ref]
		if moved && (!ok || changed < s.mirrorSince[i][ref]) {
			what := "rewound"
			if now == "" {
				what = "deleted"
			}
			s.violation("rewind "+m.name+ref+last+now, "%s %s %s (%s -> %q) though origin did not rewind or delete it since", m.name, what, ref, last, now)
		}
	}
	for ref, now := range refs {
		if s.mirrorLast[i][ref] != now {
			s.mirrorSince[i][ref] = s.step
		}
	}
	s.mirrorLast[i] = refs
	all := map[string]bool{}
	for r := range origin {
		all[r] = true
	}
	for r := range refs {
		all[r] = true
	}
	for ref := range all {
		if refs[ref] == origin[ref] {
			continue
		}
		if q := queued[[2]string{m.url, ref}]; len(q) > 0 {
			s.checkOld(i, ref, refs[ref], q)
			continue
		}
		if c := s.rogue[i][ref]; c != "" && refs[ref] != "" && s.isAncestor(m.path, c, refs[ref]) {
			continue // diverged, and kept
		}
		key := "unqueued " + m.name + ref + refs[ref] + origin[ref]
		s.violation(key, "%s: %s = %q, origin has %q, and nothing is queued for it", m.name, ref, refs[ref], origin[ref])
	}
}

// checkLocks: no lock of ours is held once the processes are gone.
func (s *soak) checkLocks(cache bool) {
	var locks []string
	roots := slices.Clone(s.wcs)
	if cache {
		roots = append(roots, filepath.Join(s.home, ".local", "share", "git-federate"))
	}
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".lock") && strings.Contains(p, "federate") {
				locks = append(locks, p)
			}
			return nil
		})
	}
	for _, p := range locks {
		l, err := lockfile.Acquire(context.Background(), p, 0, nil)
		if err != nil {
			s.violation("lock "+p, "lock %s is held with no process of ours running: %v", p, err)
			continue
		}
		l.Release()
	}
}

// checkFsck: every repository and cache is intact.
func (s *soak) checkFsck(final, cache bool) {
	repos := slices.Clone(s.wcs)
	for _, sv := range s.servers {
		repos = append(repos, sv.path)
	}
	if cache {
		cacheRoot := filepath.Join(s.home, ".local", "share", "git-federate")
		filepath.WalkDir(cacheRoot, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && d.Name() == "objects" {
				repos = append(repos, filepath.Dir(p))
				return filepath.SkipDir
			}
			return nil
		})
	}
	args := []string{"fsck", "--no-progress", "--connectivity-only"}
	if final {
		args = []string{"fsck", "--no-progress", "--strict"}
	}
	for _, r := range repos {
		if out, err := s.inspect(r, args...); err != nil {
			s.violation("fsck "+r, "git fsck in %s: %v\n%s", r, err, out)
		}
	}
}

// checkTokens: no token in any output so far, nor, at the end, in any
// file of the soak's home, repositories and working copies.
func (s *soak) checkTokens(final bool) {
	s.mu.Lock()
	out := s.outputs.String()
	s.outputs.Reset()
	s.mu.Unlock()
	for _, sv := range s.servers {
		if strings.Contains(out, sv.token) {
			s.violation("", "a command's output holds %s's token", sv.name)
		}
	}
	if strings.Contains(out, s.secret) {
		s.violation("", "a command's output holds the webhook secret")
	}
	if !final {
		return
	}
	roots := append(slices.Clone(s.wcs), s.home)
	for _, sv := range s.servers {
		roots = append(roots, sv.srv.Root)
	}
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			for _, sv := range s.servers {
				if strings.Contains(string(b), sv.token) {
					s.violation("", "%s holds %s's token", p, sv.name)
				}
			}
			if strings.Contains(string(b), s.secret) {
				s.violation("", "%s holds the webhook secret", p)
			}
			return nil
		})
	}
}

// final: faults off, one sync --all (run where no queue is) leaves every
// mirror equal to origin, but for the refs committed to behind origin's
// back, which it keeps and reports, and the forced updates still queued
// in a working copy, which it keeps (force = false) and reports too: a
// sync in that working copy then forces them, and leaves its queue empty
// but for the refs diverged behind origin's back.
func (s *soak) final() {
	s.step++
	s.quiesce()
	out, err := s.run(s.home, 0, "git-federate", "sync", "--all")
	s.t.Logf("final sync --all: err=%v\n%s", err, out)
	s.check(true)
	forced := s.queuedForced()
	s.compare(out, forced)
	// Twice around: an update queued in one copy can wait on what
	// another copy's sync delivers (a delete one copy queued, the branch
	// pushed anew from another), and is settled by its copy's next sync.
	for range 2 {
		for _, wc := range s.wcs {
			if entries, _ := pending.Open(filepath.Join(wc, ".git")).Load(); len(entries) > 0 {
				out, err := s.run(wc, 0, "git-federate", "sync", "--all")
				s.t.Logf("final sync --all in %s, to settle its queue: err=%v\n%s", filepath.Base(wc), err, out)
				s.count("final sync in a working copy with a queue")
			}
		}
	}
	s.check(true)
	s.compare(out, nil)
	for _, wc := range s.wcs {
		entries, _ := pending.Open(filepath.Join(wc, ".git")).Load()
		for _, e := range entries {
			if i := slices.IndexFunc(s.servers, func(sv *server) bool { return sv.url == e.Mirror }); i < 1 || s.rogue[i-1][e.Ref] == "" {
				s.violation("", "%s's queue still holds %s %s = %q after its sync", filepath.Base(wc), e.Mirror, e.Ref, e.OID)
			}
		}
	}
}

// queuedForced are the (mirror URL, ref) pairs a working copy's queue
// holds a forced update of, at origin's value.
// The pairs of a queued delete or forced update that origin moved on
// from, while the mirror still holds the entry's old value, are in it
// too: the mirror missed a rewind, and only a sync in that working copy
// forces origin's value there.
func (s *soak) queuedForced() map[[2]string]bool {
	origin := s.refs(s.servers[0].path)
	mirrors := map[string]map[string]string{}
	for _, m := range s.servers[1:] {
		mirrors[m.url] = s.refs(m.path)
	}
	out := map[[2]string]bool{}
	for _, wc := range s.wcs {
		entries, _ := pending.Open(filepath.Join(wc, ".git")).Load()
		for _, e := range entries {
			missed := (e.Force || e.Delete()) && e.OID != origin[e.Ref] &&
				e.Old != "" && e.Old != pending.Absent && mirrors[e.Mirror][e.Ref] == e.Old
			if e.Force && e.OID != "" && e.OID == origin[e.Ref] || missed {
				out[[2]string{e.Mirror, e.Ref}] = true
			}
		}
	}
	return out
}

// compare: every mirror equals origin but for the refs diverged behind
// origin's back and those with a forced update queued (forced), each of
// which the sync that printed out reported as kept.
func (s *soak) compare(out string, forced map[[2]string]bool) {
	origin := s.refs(s.servers[0].path)
	for i, m := range s.servers[1:] {
		refs := s.refs(m.path)
		for _, ref := range union(origin, refs) {
			if refs[ref] == origin[ref] {
				continue
			}
			rogue := s.rogue[i][ref] != "" && refs[ref] != "" && s.isAncestor(m.path, s.rogue[i][ref], refs[ref]) && origin[ref] != ""
			if rogue || forced[[2]string{m.url, ref}] {
				if !strings.Contains(out, m.url) || !strings.Contains(out, "keep    ") || !strings.Contains(out, ref) {
					s.violation("", "%s: %s differs from origin, kept, but the sync did not report it", m.name, ref)
				}
				if !rogue {
					s.count("final: forced update still queued, kept by the sync without a queue")
				}
				continue
			}
			s.violation("", "after the final sync, %s: %s = %q, origin has %q", m.name, ref, refs[ref], origin[ref])
		}
	}
}

func union(a, b map[string]string) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// report prints the figures docs/operations.md quotes.
func (s *soak) report(d time.Duration, seed uint64) {
	var b strings.Builder
	fmt.Fprintf(&b, "soak figures: duration %v, seed %d, steps %d, invariant violations %d\n", d.Round(time.Second), seed, s.step, len(s.found))
	keys := make([]string, 0, len(s.stats))
	for k := range s.stats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-55s %d\n", k, s.stats[k])
	}
	s.t.Log(b.String())
	fmt.Print(b.String())
}
