package pushtest

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// requestsFor are the requests s served for app.git since the first
// `skip` of them.
func requestsFor(s server, skip int) []gittest.Request {
	var out []gittest.Request
	for _, r := range s.Requests()[skip:] {
		if strings.HasPrefix(r.Path, "/app.git/") {
			out = append(out, r)
		}
	}
	return out
}

// Over a network every request is a round trip: a push through federate
// costs origin, pushed with its token up front, two requests, one fewer
// than a plain `git push` with a credential helper (a refused ref
// advertisement, the same with the token, and the pack): the ref
// advertisement, authorized, and the pack.
func TestPushCostsOriginTwoRequests(t *testing.T) {
	f := newFed(t)
	tip := f.commit("a.txt", "one commit")
	before := len(f.origin.Requests())
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, f.all()...)
	got, seen := originRequests(f, before)
	if len(got) != 2 {
		t.Fatalf("origin served %d requests, want 2:\n%s", len(got), strings.Join(seen, "\n"))
	}
	if got[0].Authorization == "" || got[0].Method != "GET" || got[1].Method != "POST" || !got[1].Push() || got[1].Authorization == "" {
		t.Errorf("want an authorized advertisement, then the pack:\n%s", strings.Join(seen, "\n"))
	}
}

// An origin with an http.<url>.extraHeader, which federate applies as
// git does, is still pushed by federate itself (two requests, the token
// up front), and every request carries the header.
func TestOriginWithExtraHeaderPushedDirectlyWithIt(t *testing.T) {
	f := newFed(t)
	gittest.Git(t, "", "config", "--global", "http."+f.origin.URL+".extraHeader", "X-Federate-Test: from-config")
	var headers atomic.Int32
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/", Hook: func(r *http.Request) {
		if r.Header.Get("X-Federate-Test") == "from-config" {
			headers.Add(1)
		}
	}})
	tip := f.commit("a.txt", "one commit")
	before := len(f.origin.Requests())
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, f.all()...)
	got, seen := originRequests(f, before)
	if len(got) != 2 || got[0].Authorization == "" || got[1].Method != "POST" || !got[1].Push() {
		t.Fatalf("want an authorized advertisement, then the pack:\n%s", strings.Join(seen, "\n"))
	}
	if n := headers.Load(); n != 2 {
		t.Errorf("%d of origin's 2 requests carried the configured header, want both", n)
	}
}

// originRequests are origin's requests for app.git since the first
// skip, and a line each for a failure message.
func originRequests(f *fed, skip int) ([]gittest.Request, []string) {
	got := requestsFor(f.origin, skip)
	var seen []string
	for _, r := range got {
		seen = append(seen, r.Method+" "+r.Path+"?"+r.Query)
	}
	return got, seen
}

// Each mirror's ref discovery, and its refused first request, runs while
// origin takes the push: origin's pack is held until both mirrors have
// answered an authorized ref advertisement. After origin's verdict each
// mirror costs one request, the pack.
func TestMirrorsListWhileOriginPushes(t *testing.T) {
	f := newFed(t)
	tip := f.commit("a.txt", "one commit")
	var listed sync.WaitGroup
	for _, m := range []server{f.m1, f.m2} {
		var once sync.Once
		listed.Add(1)
		m.AddFault(gittest.Fault{Prefix: "/app.git/info/refs", Hook: func(r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				once.Do(listed.Done)
			}
		}})
	}
	allListed := make(chan struct{})
	go func() { listed.Wait(); close(allListed) }()
	var overlapped atomic.Bool
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", PushOnly: true, Hook: func(*http.Request) {
		select {
		case <-allListed:
			overlapped.Store(true)
		case <-time.After(30 * time.Second):
		}
	}})
	before := [3]int{len(f.origin.Requests()), len(f.m1.Requests()), len(f.m2.Requests())}
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, f.all()...)
	if !overlapped.Load() {
		t.Fatal("origin received the pack before the mirrors had listed their refs")
	}
	var verdict time.Time
	for _, r := range requestsFor(f.origin, before[0]) {
		if r.Method == "POST" && r.Push() {
			verdict = r.End
		}
	}
	for i, m := range []server{f.m1, f.m2} {
		var after []string
		for _, r := range requestsFor(m, before[i+1]) {
			if !r.Start.Before(verdict) {
				after = append(after, r.Method+" "+r.Path)
			}
		}
		if len(after) != 1 || after[0] != "POST /app.git/git-receive-pack" {
			t.Errorf("mirror %s after origin's verdict: %q, want only the pack", m.URL, after)
		}
	}
}
