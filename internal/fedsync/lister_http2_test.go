package fedsync

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// pktLine is s as one pkt-line.
func pktLine(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

// An https server offering HTTP/2, trusted through GIT_SSL_CAINFO as git
// would trust it, is listed over HTTP/2 with the token sent up front;
// an origin and a mirror that list the same refs are in sync without a
// cache being made.
func TestListsOverHTTP2WithTheTokenUpFront(t *testing.T) {
	const oid, token = "1111111111111111111111111111111111111111", "h2-token-0123456789"
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, _ := r.BasicAuth()
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s token=%t", r.Proto, r.URL.Query().Get("service"), pass == token))
		mu.Unlock()
		service := r.URL.Query().Get("service")
		w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
		fmt.Fprint(w, pktLine("# service="+service+"\n")+"0000"+
			pktLine(oid+" refs/heads/main\x00report-status agent=git/2\n")+"0000")
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	dir := t.TempDir()
	ca := gittest.CAFile(t, srv)
	u, _ := url.Parse(srv.URL)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(dir, "gitconfig"), "FEDERATE_KEYRING=off", "GIT_SSL_CAINFO=" + ca,
		"FEDERATE_TOKEN_127_0_0_1_" + u.Port() + "=" + token}
	cacheRoot := filepath.Join(dir, "caches")
	e, err := New(Config{Git: gitexec.Runner{Env: env}, CacheRoot: cacheRoot, Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	origin, err1 := federation.ParseEndpoint(srv.URL + "/origin.git")
	mirror, err2 := federation.ParseEndpoint(srv.URL + "/mirror.git")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	f := &federation.Federation{Name: "h2", Origin: origin, Mirrors: []federation.Endpoint{mirror}}
	res := e.Sync(context.Background(), f, Options{})
	if res.Outcome() != "ok" || res.Fetched || len(res.Mirrors) != 1 || res.Mirrors[0].OutOfSync() {
		t.Fatalf("sync = %s %+v", res.Outcome(), res)
	}
	mu.Lock()
	got := strings.Join(seen, ", ")
	mu.Unlock()
	if want := "HTTP/2.0 git-receive-pack token=true, HTTP/2.0 git-upload-pack token=true"; !sameSet(got, want) {
		t.Errorf("requests: %s, want %s", got, want)
	}
	if requests, gitListings := e.Counters(); requests != 2 || gitListings != 0 {
		t.Errorf("counters: %d requests, %d git listings", requests, gitListings)
	}
	if entries, _ := os.ReadDir(cacheRoot); len(entries) != 0 {
		t.Errorf("an in-sync federation wrote %d entries into the cache root", len(entries))
	}
}

// sameSet reports whether two ", "-joined lists hold the same items.
func sameSet(a, b string) bool {
	x, y := strings.Split(a, ", "), strings.Split(b, ", ")
	if len(x) != len(y) {
		return false
	}
	count := map[string]int{}
	for _, s := range x {
		count[s]++
	}
	for _, s := range y {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}
