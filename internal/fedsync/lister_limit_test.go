package fedsync

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// Every listing attempt has the whole of its limit. With one worker
// for the run: after a hung server is given up at its limit, the next
// server is listed in full, and listings one after another, together
// far longer than the limit, each finish.
func TestListingLimitIsEachAttempts(t *testing.T) {
	hung := gittest.HungServer(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond) // 25 federations: 2.5 s of answers in all
		advertise(w, r)
	}))
	defer srv.Close()
	e := hostEngine(t, srv.URL, 1)
	ep := func(base, path string) federation.Endpoint {
		t.Helper()
		e, err := federation.ParseEndpoint(base + path)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	feds := []*federation.Federation{{Name: "hung", Origin: ep(hung.URL, "/h.git"),
		Mirrors: []federation.Endpoint{ep(srv.URL, "/hm.git")}, Options: federation.Options{Timeout: 300 * time.Millisecond}}}
	for i := range 25 {
		feds = append(feds, &federation.Federation{Name: fmt.Sprint("f", i), Origin: ep(srv.URL, fmt.Sprintf("/o%d.git", i)),
			Mirrors: []federation.Endpoint{ep(srv.URL, fmt.Sprintf("/m%d.git", i))}, Options: federation.Options{Timeout: 2 * time.Second}})
	}
	results := e.SyncAll(context.Background(), feds, Options{})
	if err := results[0].Err(); err == nil || !strings.Contains(err.Error(), "no data moved for 300ms; gave up (the limit is federation.hung.timeout)") {
		t.Errorf("hung origin: %v, want it given up at its limit, named", err)
	}
	for _, r := range results[1:] {
		if r.Outcome() != "ok" {
			t.Errorf("%s: %s %v", r.Name, r.Outcome(), r.Err())
		}
	}
}

// A server git lists (here: its URL names a user) is asked while the
// federation's in-process listings are still open, not after them.
func TestGitListingBesideInProcessOnes(t *testing.T) {
	for _, gitLists := range []string{"mirror", "origin"} {
		t.Run(gitLists, func(t *testing.T) {
			asked := make(chan struct{})
			var once sync.Once
			byGit := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				once.Do(func() { close(asked) })
				http.NotFound(w, r)
			}))
			defer byGit.Close()
			var first sync.Once
			var sawGit atomic.Bool
			inProcess := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				first.Do(func() { // the listing; git's fetch into the cache comes later
					select {
					case <-asked:
						sawGit.Store(true)
					case <-time.After(time.Minute): // asked only after this listing: a failure
					}
				})
				advertise(w, r)
			}))
			defer inProcess.Close()
			e := hostEngine(t, inProcess.URL, 4)
			viaGit, err := federation.ParseEndpoint(strings.Replace(byGit.URL, "http://", "http://someone@", 1) + "/g.git")
			if err != nil {
				t.Fatal(err)
			}
			direct, err := federation.ParseEndpoint(inProcess.URL + "/d.git")
			if err != nil {
				t.Fatal(err)
			}
			f := &federation.Federation{Name: "f", Origin: direct, Mirrors: []federation.Endpoint{viaGit}}
			if gitLists == "origin" {
				f.Origin, f.Mirrors = viaGit, []federation.Endpoint{direct}
			}
			e.SyncAll(context.Background(), []*federation.Federation{f}, Options{DryRun: true})
			if !sawGit.Load() {
				t.Errorf("the %s git lists was asked only after the in-process listing answered", gitLists)
			}
		})
	}
}
