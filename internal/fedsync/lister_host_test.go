package fedsync

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// However large --jobs, at most DefaultHostJobs listings are in flight
// to one host, over as many kept-alive connections at most.
func TestListingsBoundedPerHostOverKeptConnections(t *testing.T) {
	var mu sync.Mutex
	inFlight, most, requests := 0, 0, 0
	conns := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		requests++
		most = max(most, inFlight)
		conns[r.RemoteAddr] = true
		mu.Unlock()
		time.Sleep(10 * time.Millisecond) // lets listings pile up; nothing is timed
		advertise(w, r)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	defer srv.Close()
	e := hostEngine(t, srv.URL, 64)
	var feds []*federation.Federation
	for i := range 30 {
		o, _ := federation.ParseEndpoint(fmt.Sprintf("%s/o%d.git", srv.URL, i))
		m, _ := federation.ParseEndpoint(fmt.Sprintf("%s/m%d.git", srv.URL, i))
		feds = append(feds, &federation.Federation{Name: fmt.Sprint("f", i), Origin: o, Mirrors: []federation.Endpoint{m}})
	}
	for _, r := range e.SyncAll(context.Background(), feds, Options{}) {
		if r.Outcome() != "ok" {
			t.Fatalf("%s: %s %v", r.Name, r.Outcome(), r.Err())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if requests != 60 || most > DefaultHostJobs || len(conns) > DefaultHostJobs {
		t.Errorf("%d requests, %d at most in flight, over %d connections; want 60, at most %d, at most %d",
			requests, most, len(conns), DefaultHostJobs, DefaultHostJobs)
	}
}

// A listing asks for the repository's URL as written plus
// /info/refs, as git does: an escaped character in the path (%2F, %7E)
// is sent as it is, not decoded and escaped again into another path.
func TestListingAsksForTheURLAsWritten(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.RequestURI)
		mu.Unlock()
		advertise(w, r)
	}))
	defer srv.Close()
	e := hostEngine(t, srv.URL, 2)
	o, _ := federation.ParseEndpoint(srv.URL + "/group%2Fproj.git")
	m, _ := federation.ParseEndpoint(srv.URL + "/%7Euser/proj.git/")
	f := &federation.Federation{Name: "f", Origin: o, Mirrors: []federation.Endpoint{m}}
	if r := e.SyncAll(context.Background(), []*federation.Federation{f}, Options{}); r[0].Outcome() != "ok" {
		t.Fatalf("%s %v", r[0].Outcome(), r[0].Err())
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]bool{
		"/group%2Fproj.git/info/refs?service=git-upload-pack":  true,
		"/%7Euser/proj.git/info/refs?service=git-receive-pack": true,
	}
	if len(asked) != 2 || !want[asked[0]] || !want[asked[1]] || asked[0] == asked[1] {
		t.Errorf("asked for %q, want %v", asked, want)
	}
}

// advertise answers a listing with one branch, as a smart-HTTP server.
func advertise(w http.ResponseWriter, r *http.Request) {
	const oid = "1111111111111111111111111111111111111111"
	service := r.URL.Query().Get("service")
	w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
	fmt.Fprint(w, pktLine("# service="+service+"\n")+"0000"+pktLine(oid+" refs/heads/main\x00agent=git/2\n")+"0000")
}

// hostEngine is an engine listing the server at srvURL with a token,
// jobs at a time, in an empty home.
func hostEngine(t *testing.T, srvURL string, jobs int) *Engine {
	t.Helper()
	return hostEngineWith(t, srvURL, jobs, "")
}

// hostEngineWith is hostEngine with gitconfig as the global config.
func hostEngineWith(t *testing.T, srvURL string, jobs int, gitconfig string) *Engine {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gitconfig"), []byte(gitconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srvURL)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(dir, "gitconfig"), "FEDERATE_KEYRING=off",
		"FEDERATE_TOKEN_127_0_0_1_" + u.Port() + "=host-token-0123456789"}
	e, err := New(Config{Git: gitexec.Runner{Env: env}, CacheRoot: filepath.Join(dir, "caches"), Jobs: jobs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}
