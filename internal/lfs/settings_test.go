package lfs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
)

// A header git's config sets for the repository's URL (often a token:
// actions/checkout sets http.https://github.com/.extraheader) goes to
// the repository's LFS server, and not to the storage server on another
// origin that the batch answer sends the object to; a header set for
// every URL goes to both. git-lfs matches each request's URL the same
// way. The repository's header went everywhere the client went.
func TestRepositoryHeaderStaysWithItsServer(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]string{}
	record := func(name string, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name] = append(seen[name], r.Header.Values("X-Test")...)
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	}
	store := &gittest.LFS{}
	storage := httptest.NewServer(record("storage", store))
	defer storage.Close()
	lfsServer := httptest.NewServer(record("lfs", &gittest.LFS{Storage: storage.URL + "/bucket/info/lfs"}))
	defer lfsServer.Close()
	repo := lfsServer.URL + "/r.git"
	entries := []gitexec.ConfigEntry{
		{Key: "http.extraheader", Value: "X-Test: every server's"},
		{Key: "http." + repo + ".extraheader", Value: "X-Test: the repository's"},
	}
	c, ok := NewClient(repo, fixedCreds("u", "lfs-token"), httpx.ResolverOf(entries, func(string) string { return "" }))
	if !ok {
		t.Fatal("no client")
	}
	local := t.TempDir()
	a := objectOf(t, local, []byte("object A\n"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if n, err := c.Upload(ctx, []Object{a}, Store(local)); n != 1 || err != nil {
		t.Fatalf("upload: %d, %v", n, err)
	}
	if got := store.Uploads(); !slices.Equal(got, []string{a.OID}) {
		t.Fatalf("the storage server received %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := seen["lfs"]; !slices.Contains(got, "the repository's") || !slices.Contains(got, "every server's") {
		t.Errorf("the LFS server saw %q, want both headers", got)
	}
	if got := seen["storage"]; slices.Contains(got, "the repository's") || !slices.Contains(got, "every server's") {
		t.Errorf("the storage server saw %q, want only every server's header", got)
	}
}
