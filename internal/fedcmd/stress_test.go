//go:build stress && linux

package fedcmd

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/webhook"
)

// openFiles counts this process's open descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// settled waits for the goroutine count to come down to at most limit:
// finished handlers and children take a moment to be reaped.
func settled(t *testing.T, what string, limit int, count func() int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for count() > limit {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, want at most %d", what, count(), limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serve receives 50 webhooks for 10 federations at once: every mirror
// ends at its origin's value, and goroutines and open files come back
// to a bounded number.
func TestStressServeWebhooks(t *testing.T) {
	fx := newSyncFixture(t, 0)
	const nFeds, perFed = 10, 5
	origins := make([]string, nFeds)
	want := make([]string, nFeds)
	for i := range nFeds {
		origins[i] = fx.srv.InitBare(t, fmt.Sprintf("o%d.git", i))
		fx.srv.InitBare(t, fmt.Sprintf("m%d.git", i))
		gittest.Git(t, "", "config", "--global", fmt.Sprintf("federation.f%d.origin", i), origins[i])
		gittest.Git(t, "", "config", "--global", fmt.Sprintf("federation.f%d.mirror", i), fx.srv.RepoURL(fmt.Sprintf("m%d.git", i)))
		gittest.Commit(t, fx.work, fmt.Sprintf("f%d.txt", i), "x\n", fmt.Sprintf("f%d", i))
		gittest.Git(t, fx.work, "push", "-q", fx.srv.Path(fmt.Sprintf("o%d.git", i)), "HEAD:refs/heads/main")
		want[i] = gittest.Git(t, fx.work, "rev-parse", "HEAD")
	}
	baseG, baseF := runtime.NumGoroutine(), openFiles(t)
	const secret = "stress-secret"
	base := startServe(t, serveOptions{IO: IO{Err: newLog()}, Jobs: 4, Syncer: webhook.ExecSyncer{Exe: fx.env.Exe},
		Getenv: func(k string) string {
			if k == SecretEnv {
				return secret
			}
			return ""
		}})

	var wg sync.WaitGroup
	for i := range nFeds * perFed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"repository":{"clone_url":%q}}`, origins[i%nFeds])
			req, _ := http.NewRequest("POST", base+"/webhook", strings.NewReader(body))
			req.Header.Set("X-GitHub-Event", "push")
			req.Header.Set("X-Hub-Signature-256", sign(secret, body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Errorf("webhook %d: %s", i, resp.Status)
			}
		}()
	}
	wg.Wait()
	for i := range nFeds {
		mirror := fx.srv.Path(fmt.Sprintf("m%d.git", i))
		gittest.WaitFor(t, fmt.Sprintf("mirror %d synced", i), func() bool {
			return gittest.RefOf(t, mirror, "refs/heads/main") == want[i]
		})
	}
	http.DefaultClient.CloseIdleConnections()
	// The receiver is still running: its listener, workers and idle
	// connections are allowed for, not one goroutine or file per hook.
	settled(t, "goroutines", baseG+nFeds+10, runtime.NumGoroutine)
	settled(t, "open files", baseF+nFeds+10, func() int { return openFiles(t) })
}

// Twenty syncs of one federation at once, in process: they queue on the
// lock instead of corrupting the cache, all succeed, and leave no
// goroutine or open file behind.
func TestStressConcurrentSyncs(t *testing.T) {
	fx := newSyncFixture(t, 2)
	// The last of the twenty waits for the nineteen before it, which a
	// loaded machine stretches past the fixture's minute: the wait is a
	// healthy one, and gets a limit no loaded machine reaches.
	fx.env.LockWait = 30 * time.Minute
	c := fx.commitOrigin(t, "main", "a.txt")
	baseG, baseF := runtime.NumGoroutine(), openFiles(t)
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = fx.sync(t, SyncOptions{}).code
		}()
	}
	wg.Wait()
	for i, code := range codes {
		if code != ExitOK {
			t.Errorf("sync %d: exit %d", i, code)
		}
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", c)
	assertRef(t, fx.mirrorPath(1), "refs/heads/main", c)
	http.DefaultClient.CloseIdleConnections()
	settled(t, "goroutines", baseG+5, runtime.NumGoroutine)
	settled(t, "open files", baseF+5, func() int { return openFiles(t) })
}

// A mirror answering 503 "repository is being read or written": a short
// storm is ridden out by the retries; an endless one ends after a bounded
// number of attempts with a message that says the mirror was busy. It
// waits out the real retry delays (seconds), so it runs with the stress
// tests.
func TestStressSyncBusyMirror(t *testing.T) {
	fx := newSyncFixture(t, 2)
	c := fx.commitOrigin(t, "main", "a.txt")
	busy := gittest.Fault{Prefix: "/mirror1.git/", Status: 503, Body: "repository is being read or written"}
	short := busy
	short.Count = 2
	fx.srv.AddFault(short)
	if r := fx.sync(t, SyncOptions{}); r.code != ExitOK {
		t.Fatalf("sync through a short 503 storm: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(0), "refs/heads/main", c)

	c = fx.commitOrigin(t, "main", "b.txt")
	fx.srv.AddFault(busy)
	start := len(fx.srv.Requests())
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitPartial || !strings.Contains(r.out+r.errOut, "busy") || !strings.Contains(r.out+r.errOut, fx.mirrors[0]) {
		t.Fatalf("sync against an endless 503 storm: exit %d, want %d saying mirror1 was busy\n%s%s", r.code, ExitPartial, r.out, r.errOut)
	}
	assertRef(t, fx.mirrorPath(1), "refs/heads/main", c)
	n := 0
	for _, q := range fx.srv.Requests()[start:] {
		if strings.HasPrefix(q.Path, "/mirror1.git/") {
			n++
		}
	}
	// Five attempts of each step at most (one listing, one push).
	if n == 0 || n > 2*5*2 {
		t.Fatalf("%d requests to the busy mirror, want a bounded retry", n)
	}
}
