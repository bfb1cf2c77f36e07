//go:build linux

package pushtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/lockfile"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// descendant finds a process below pid whose command name is name (the
// kernel keeps its first 15 bytes): git runs the helper through a `git`
// process of its own, so the helper is a grandchild of git push.
func descendant(pid int, name string) int {
	comm := name[:min(len(name), 15)]
	parents := map[int]bool{pid: true}
	for range 4 {
		for _, p := range procs() {
			if !parents[p.ppid] {
				continue
			}
			if p.comm == comm {
				return p.pid
			}
			parents[p.pid] = true
		}
	}
	return 0
}

type proc struct {
	pid, ppid int
	comm      string
}

func procs() []proc {
	var out []proc
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || closing < open {
			continue
		}
		f := strings.Fields(string(b[closing+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		out = append(out, proc{pid: pid, ppid: ppid, comm: string(b[open+1 : closing])})
	}
	return out
}

// requested reports whether s saw a receive-pack POST.
func requested(s server) bool {
	for _, r := range s.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/git-receive-pack") {
			return true
		}
	}
	return false
}

// killPushAt starts `git push fed main` (or of spec), waits for at,
// SIGKILLs the helper (the child of git push) and returns git push's
// output.
func (f *fed) killPushAt(at string, cond func() bool, spec ...string) string {
	t := f.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if len(spec) == 0 {
		spec = []string{"main"}
	}
	cmd := exec.CommandContext(ctx, "git", append([]string{"push", "fed"}, spec...)...)
	cmd.Dir = f.work
	// A file, not a pipe: the helper's own children, orphaned by the
	// kill, would hold a pipe open until their server gives up.
	out, err := os.CreateTemp(t.TempDir(), "push-output")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	gittest.WaitFor(t, at, cond)
	var helper int
	gittest.WaitFor(t, "the helper process", func() bool {
		helper = descendant(cmd.Process.Pid, "git-remote-federate")
		return helper != 0
	})
	if err := syscall.Kill(helper, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	b, _ := os.ReadFile(out.Name())
	if err == nil {
		t.Errorf("git push succeeded although its helper was killed %s:\n%s", at, b)
	}
	return string(b)
}

// afterCrash checks what must hold after any crash: the queue parses, no
// temporary file or lock holder is left, the work repository is intact;
// then a sync (and a push) finish the work: every server has c.
func (f *fed) afterCrash(c string) {
	t := f.t
	t.Helper()
	gitDir := filepath.Join(f.work, ".git")
	if _, err := pending.Open(gitDir).Load(); err != nil {
		t.Fatalf("queue after the crash: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(gitDir, "federate"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".pending-") {
			t.Errorf("temporary queue file left: %s", e.Name())
		}
	}
	fsckClean(t, f.work)
	for _, s := range f.all() {
		s.ClearFaults()
	}
	// The queue's lock died with its process: a push that queues takes
	// it at once (one try, no wait: how long a wait took is no proof).
	l, err := lockfile.Acquire(context.Background(), pending.Open(gitDir).Path()+".lock", 0, nil)
	if err != nil {
		t.Fatalf("queue lock after the crash: %v", err)
	}
	l.Release()
	if out, err := gittest.GitCombined(f.work, nil, "federate", "sync", "fed"); err != nil {
		t.Fatalf("sync after the crash: %v\n%s", err, out)
	}
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", c, f.all()...)
	for _, s := range f.all() {
		fsckClean(t, s.Path)
	}
}

// SIGKILL of the helper before origin answered: origin never got the
// update; nothing is half-done; the next push does it all.
func TestCrashBeforeOriginAnswered(t *testing.T) {
	f := newFed(t)
	c := f.commit("a.txt", "a")
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Hang: make(chan struct{})})
	f.killPushAt("origin got the pack", func() bool { return requested(f.origin) })
	f.afterCrash(c)
}

// SIGKILL after origin took the push, before the mirrors did: sync brings
// the mirrors to origin's value.
func TestCrashAfterOriginBeforeMirrors(t *testing.T) {
	f := newFed(t)
	c := f.commit("a.txt", "a")
	hang := make(chan struct{})
	f.m1.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Hang: hang})
	f.m2.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Hang: hang})
	f.killPushAt("origin updated, both mirrors contacted", func() bool {
		return gittest.RefOf(t, f.origin.Path, "refs/heads/main") == c && requested(f.m1) && requested(f.m2)
	})
	f.afterCrash(c)
}

// SIGKILL while the mirrors are being pushed: one has it, one does not.
func TestCrashDuringMirrors(t *testing.T) {
	f := newFed(t)
	c := f.commit("a.txt", "a")
	f.m2.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Hang: make(chan struct{})})
	f.killPushAt("m1 updated, m2 contacted", func() bool {
		return gittest.RefOf(t, f.m1.Path, "refs/heads/main") == c && requested(f.m2)
	})
	f.afterCrash(c)
}

// SIGKILL after origin took the push, before the mirrors answered: the
// mirrors' updates were queued ahead of their push, so the next push
// (of anything) delivers them; no sync is needed.
func TestCrashAfterOriginNextPushDelivers(t *testing.T) {
	f := newFed(t)
	c := f.commit("a.txt", "a")
	hang := make(chan struct{})
	f.m1.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Hang: hang, Count: 1})
	f.m2.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Hang: hang, Count: 1})
	f.killPushAt("origin updated, both mirrors contacted", func() bool {
		return gittest.RefOf(t, f.origin.Path, "refs/heads/main") == c && requested(f.m1) && requested(f.m2)
	})
	close(hang)
	queued, err := pending.Open(filepath.Join(f.work, ".git")).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != 2 {
		t.Fatalf("queue after the crash: %+v, want main for both mirrors", queued)
	}
	for _, e := range queued {
		if e.Ref != "refs/heads/main" || e.OID != c || e.Attempts != 0 || !strings.Contains(e.Reason, "ended before the mirror answered") {
			t.Errorf("queued after the crash: %+v", e)
		}
	}

	mustGit(t, f.work, "branch", "later")
	out := f.push(true, "fed", "later")
	wantContains(t, out, "federate: mirror "+f.m1.URL+": ok", "federate: mirror "+f.m2.URL+": ok")
	f.wantRef("refs/heads/main", c, f.all()...)
	if p := f.pendingFile(); p != "" {
		t.Fatalf("pending after the next push:\n%s", p)
	}
}

// SIGKILL after origin took a deletion, before the helper had origin's
// verdict (origin's post-receive hook holds its answer back): the
// deletion was written ahead to the queue before origin was pushed to,
// so it is not lost, and the next sync deletes the branch on the mirrors
// although sync deletes nothing by itself without prune. (The chaos soak
// found such an update on no mirror and in no queue.)
func TestCrashBeforeOriginsVerdictWasQueuedAhead(t *testing.T) {
	f := newFed(t)
	f.push(true, "fed", "main:refs/heads/gone")
	f.wantRef("refs/heads/gone", f.rev("main"), f.all()...)
	dir := t.TempDir()
	took, release := filepath.Join(dir, "took"), filepath.Join(dir, "release")
	// Bounded: the hook gives up after two minutes.
	hook := fmt.Sprintf("#!/bin/sh\n: > '%s'\ni=0\nwhile [ ! -e '%s' ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done\n", took, release)
	if err := os.WriteFile(filepath.Join(f.origin.Path, "hooks", "post-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	letGo := func() { os.WriteFile(release, nil, 0o644) }
	t.Cleanup(letGo)
	f.killPushAt("origin took the deletion", func() bool {
		_, err := os.Stat(took)
		return err == nil
	}, ":refs/heads/gone")
	letGo()
	f.wantRef("refs/heads/gone", "", f.origin)
	for _, m := range []server{f.m1, f.m2} {
		if p := f.pendingFile(); !strings.Contains(p, m.URL+"\trefs/heads/gone\t-\t") {
			t.Errorf("the deletion origin took is not queued for %s:\n%s", m.URL, p)
		}
	}
	if out, err := gittest.GitCombined(f.work, nil, "federate", "sync", "fed"); err != nil {
		t.Fatalf("sync after the crash: %v\n%s", err, out)
	}
	f.wantRef("refs/heads/gone", "", f.all()...)
}

// A push origin refuses leaves nothing of what was written ahead of it
// in the queue, and an update queued earlier for the same ref stays.
func TestWrittenAheadDroppedWhenOriginRefuses(t *testing.T) {
	f := newFed(t)
	old := f.commit("x.txt", "x")
	f.push(true, "fed", "HEAD:refs/heads/side")
	q := pending.Open(filepath.Join(f.work, ".git"))
	if err := q.Add(context.Background(), pending.Entry{Mirror: f.m1.URL, Ref: "refs/heads/side", OID: old}); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, f.work, "reset", "-q", "--hard", "HEAD~1")
	f.commit("y.txt", "y")
	f.push(false, "fed", "HEAD:refs/heads/side") // not a fast-forward: refused
	entries, err := q.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Mirror != f.m1.URL || entries[0].OID != old {
		t.Fatalf("queue after a refused push: %+v, want only the earlier entry of %s", entries, f.m1.URL)
	}
}
