package gitserve_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gitserve"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func TestServerTakesChunkedPushesAndServesClones(t *testing.T) {
	gittest.Isolate(t)
	root := t.TempDir()
	gittest.Git(t, "", "init", "-q", "--bare", "-b", "main", filepath.Join(root, "r.git"))
	s, err := gitserve.Start(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %s is not on 127.0.0.1", s.URL)
	}
	work := gittest.NewWorkRepo(t)
	want := gittest.Commit(t, work, "big", strings.Repeat("some text that is not tiny\n", 4000), "big file")
	// A tiny postBuffer makes git send the pack chunked, which plain
	// net/http/cgi would answer with 400.
	gittest.Git(t, work, "-c", "http.postBuffer=1024", "push", "-q", s.URL+"/r.git", "main")
	if got := gittest.RefOf(t, filepath.Join(root, "r.git"), "refs/heads/main"); got != want {
		t.Fatalf("server main = %q, want %s", got, want)
	}
	clone := filepath.Join(t.TempDir(), "c")
	gittest.Git(t, "", "clone", "-q", s.URL+"/r.git", clone)
	if got := gittest.Git(t, clone, "rev-parse", "HEAD"); got != want {
		t.Errorf("clone HEAD = %s, want %s", got, want)
	}
}

func TestCloseStopsServing(t *testing.T) {
	gittest.Isolate(t)
	s, err := gitserve.Start(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if resp, err := http.Get(s.URL + "/x/info/refs"); err == nil {
		resp.Body.Close()
		t.Error("server still answers after Close")
	}
}
