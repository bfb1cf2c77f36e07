package helper

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
)

// An http.<url>.* key applies to a mirror as git's urlmatch applies it:
// same scheme, host and port (a "*" in the host matches), a path prefix
// at a "/". What applies sends the mirror through git's transport.
func TestURLMatches(t *testing.T) {
	m, err := federation.ParseEndpoint("https://git.example.com/team/app.git")
	if err != nil {
		t.Fatal(err)
	}
	for sub, want := range map[string]bool{
		"https://git.example.com":                   true,
		"https://git.example.com/":                  true,
		"https://git.example.com:443/team":          true,
		"https://*.example.com/team/app.git":        true,
		"https://git.example.com/team/app.git":      true,
		"https://git.example.com/te":                false,
		"http://git.example.com":                    false,
		"https://git.example.com:8443":              false,
		"https://other.example.com":                 false,
		"https://user@git.example.com":              false,
		"https://git.example.com/team/app.git/more": false,
		"not a url %zz":                             true, // unknown: git's side
	} {
		if got := urlMatches(sub, m); got != want {
			t.Errorf("urlMatches(%q) = %v, want %v", sub, got, want)
		}
	}
}

// A pack file left by a push that was killed is removed by a later push;
// one that a push running now may still be sending is kept.
func TestStalePacksRemoved(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	old := filepath.Join(dir, "pack-1.tmp")
	fresh := filepath.Join(dir, "pack-2.tmp")
	other := filepath.Join(dir, "pending")
	for _, name := range []string{old, fresh, other} {
		if err := os.WriteFile(name, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{old, other} {
		if err := os.Chtimes(name, now.Add(-48*time.Hour), now.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	removeStalePacks(dir, now)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the stale pack is still there (%v)", err)
	}
	for _, name := range []string{fresh, other} {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(name), err)
		}
	}
}
