//go:build soak

package soak

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// longLived is `git federate serve` or `git federate sync --daemon`: it
// runs across steps, is SIGKILLed at random moments or stopped with
// SIGTERM, and started again later. Its syncs run in the soak's home, so
// they have no queue of their own: they only move mirrors to origin.
type longLived struct {
	name string // for the figures: "serve", "sync --daemon"
	args []string
	env  []string // beyond the soak's own

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when cmd has exited
	out    *gittest.Buffer
	starts int
}

// running reports whether the process is alive (it may be dying).
func (l *longLived) running() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cmd == nil {
		return false
	}
	select {
	case <-l.done:
		return false
	default:
		return true
	}
}

// pid is the live process's id, or 0.
func (l *longLived) pid() int {
	if !l.running() {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cmd.Process.Pid
}

// start runs the process in the soak's home, in its own process group.
func (s *soak) start(l *longLived) {
	if l.running() {
		return
	}
	cmd := exec.Command("git-federate", l.args...)
	cmd.Dir = s.home
	cmd.Env = append(append(os.Environ(), "FEDERATE_SOAK_MARK="+s.mark), l.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &gittest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.violation("", "starting git federate %s: %v", l.name, err)
		return
	}
	done := make(chan struct{})
	l.mu.Lock()
	l.cmd, l.done, l.out = cmd, done, out
	l.starts++
	l.mu.Unlock()
	s.count("start " + l.name)
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.outputs.WriteString(out.String())
		s.mu.Unlock()
		s.t.Logf("git federate %s (pid %d) exited: %v; its output:\n%s", l.name, cmd.Process.Pid, err, tail(out.String(), 3000))
		close(done)
	}()
}

// kill SIGKILLs the process's group after d (0: now); counted only when
// it was still alive.
func (s *soak) kill(l *longLived, d time.Duration) {
	l.mu.Lock()
	cmd, done := l.cmd, l.done
	l.mu.Unlock()
	if cmd == nil {
		return
	}
	time.AfterFunc(d, func() {
		select {
		case <-done:
			return
		default:
		}
		if syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) == nil {
			s.count("sigkill " + l.name)
		}
	})
}

// stop ends the process with SIGTERM and waits for it (bounded: then
// SIGKILL), as a service manager stops it.
func (s *soak) stop(l *longLived) {
	l.mu.Lock()
	cmd, done := l.cmd, l.done
	l.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
		s.count("sigterm " + l.name)
	case <-time.After(opTimeout):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		s.count("sigkill " + l.name + " (did not stop on SIGTERM)")
	}
}

// wait waits (bounded) for the process to have exited, after a kill.
func (l *longLived) wait() {
	l.mu.Lock()
	done := l.done
	l.mu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-time.After(opTimeout):
	}
}

// lifecycle starts, kills or stops serve and the daemon at random: once
// per step, before its operation, so a kill may land in the middle of a
// sync it runs.
func (s *soak) lifecycle() {
	for _, l := range s.long {
		switch r := s.rng.IntN(100); {
		case !l.running():
			if r < 30 {
				s.start(l)
			}
		case r < 6:
			s.kill(l, time.Duration(s.rng.IntN(3000))*time.Millisecond)
		case r < 8:
			s.stop(l)
		}
	}
}

// longRunning reports whether serve or the daemon is alive: their syncs
// may hold the federation's lock and write to its cache at any moment.
func (s *soak) longRunning() bool {
	for _, l := range s.long {
		if l.running() {
			return true
		}
	}
	return false
}

// serveAddr is the address the running serve logged it listens on, or
// "" when serve is not running or has not logged it yet.
func (s *soak) serveAddr() string {
	serve := s.long[0]
	if !serve.running() {
		return ""
	}
	serve.mu.Lock()
	out := serve.out
	serve.mu.Unlock()
	return gittest.ListenAddrs(out.String())["listening"]
}

// deliver posts a push event for origin to serve, as a forge does: signed
// with the shared secret, or (bad) with a wrong one, which serve must
// refuse with 401.
func (s *soak) deliver(bad bool) {
	body := fmt.Sprintf(`{"ref":"refs/heads/main","repository":{"clone_url":%q}}`, s.servers[0].url)
	secret := s.secret
	if bad {
		secret = "not-the-secret"
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	what := "webhook delivery"
	if bad {
		what = "webhook delivery badly signed"
	}
	addr := s.serveAddr()
	if addr == "" {
		s.count(what + " (serve not answering)") // down, or not yet listening
		return
	}
	req, err := http.NewRequest("POST", "http://"+addr+"/webhook", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("soak-%d-%d", s.step, s.rng.Uint64()))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	client := &http.Client{Timeout: opTimeout}
	resp, err := client.Do(req)
	if err != nil {
		// serve is down or being killed: a forge retries later.
		s.count(what + " (serve not answering)")
		s.t.Logf("step %d: %s: %v", s.step, what, err)
		return
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	s.mu.Lock()
	s.outputs.Write(b)
	s.mu.Unlock()
	s.t.Logf("step %d: %s: %s %s", s.step, what, resp.Status, strings.TrimSpace(string(b)))
	switch {
	case bad && resp.StatusCode == http.StatusUnauthorized:
		s.count(what + " (refused, 401)")
	case !bad && resp.StatusCode == http.StatusAccepted && strings.Contains(string(b), "federation soak: sync"):
		s.count(what + " (accepted, 202)")
	case !bad && resp.StatusCode == http.StatusServiceUnavailable:
		s.count(what + " (503, serve shutting down)") // SIGTERM under way
	default:
		s.violation("", "serve answered a %s with %s: %s", what, resp.Status, b)
	}
}

// liveness proves, with faults off, that serve and the daemon still
// sync after all the kills: a commit put on origin behind the
// federation's back reaches every mirror through a webhook delivery,
// and another one through the daemon's first sync after a restart. Each
// wait ends on the process's own log line saying the sync finished, not
// on a time; the bound only stops a hang.
func (s *soak) liveness() {
	serve, daemon := s.long[0], s.long[1]
	s.stop(daemon)
	s.stop(serve)
	s.start(serve)
	s.waitLog(serve, 0, "msg=listening")
	ref, oid := s.commitOnOrigin("soak-webhook")
	s.deliver(false)
	s.waitLog(serve, 1, `msg="sync finished"`)
	s.expectEverywhere("a sync serve ran for a webhook delivery", ref, oid)
	s.stop(serve)

	ref, oid = s.commitOnOrigin("soak-daemon")
	s.start(daemon)
	s.waitLog(daemon, 0, `msg="sync done"`, `msg="sync partial"`, `msg="sync failed"`)
	s.expectEverywhere("the daemon's first sync", ref, oid)
	s.stop(daemon)
}

// waitLog waits until l's output holds, after its first skip "sync
// started" lines, one of markers, or l exits.
func (s *soak) waitLog(l *longLived, skip int, markers ...string) {
	deadline := time.Now().Add(10 * time.Minute)
	for l.running() && time.Now().Before(deadline) {
		out := l.out.String()
		if i := nthIndex(out, `msg="sync started"`, skip); i >= 0 {
			for _, m := range markers {
				if strings.Contains(out[i:], m) {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.violation("", "git federate %s never logged %q (running: %v); its output:\n%s", l.name, markers, l.running(), tail(l.out.String(), 3000))
}

// nthIndex is the index just after the n-th occurrence of sub in s (n =
// 0: 0), or -1 when there are fewer.
func nthIndex(s, sub string, n int) int {
	i := 0
	for range n {
		j := strings.Index(s[i:], sub)
		if j < 0 {
			return -1
		}
		i += j + len(sub)
	}
	return i
}

// commitOnOrigin puts a new commit on branch br of origin directly (not
// through the federation) and returns the ref and its value.
func (s *soak) commitOnOrigin(br string) (string, string) {
	origin := s.servers[0].path
	s.run(s.scratch, 0, "git", "fetch", "-q", origin, "refs/heads/main")
	c, err := s.run(s.scratch, 0, "git", "commit-tree", "-p", "FETCH_HEAD", "-m", "on origin: "+br, "FETCH_HEAD^{tree}")
	if err != nil {
		s.t.Fatalf("commit-tree: %v\n%s", err, c)
	}
	c = strings.TrimSpace(c)
	ref := "refs/heads/" + br
	if out, err := s.run(s.scratch, 0, "git", "push", "-q", "-f", origin, c+":"+ref); err != nil {
		s.t.Fatalf("push to origin: %v\n%s", err, out)
	}
	return ref, c
}

// expectEverywhere: every mirror has ref at oid.
func (s *soak) expectEverywhere(what, ref, oid string) {
	for _, m := range s.servers[1:] {
		if got := s.refs(m.path)[ref]; got != oid {
			s.violation("", "after %s, %s: %s = %q, origin has %q", what, m.name, ref, got, oid)
		} else {
			s.count("liveness: " + what + " reached " + m.name)
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
