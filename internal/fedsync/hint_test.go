package fedsync

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
)

// The forge's hint is kept by a sync that leaves the mirrors in sync,
// also when the forge said no time this run (nothing to record, nothing
// untrue kept; a plain federation costs no file operation), and
// forgotten by a sync that does not.
func TestRecordHintKeptUnlessOutOfSync(t *testing.T) {
	e, err := New(Config{CacheRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	f := &federation.Federation{Name: "set/repo", OriginChangedAt: at}
	if err := os.MkdirAll(e.CachePath(f.Name), 0o700); err != nil {
		t.Fatal(err)
	}
	e.recordHint(f, &FederationResult{})
	if h, err := readHint(e.CachePath(f.Name)); err != nil || !h.OriginChangedAt.Equal(at) {
		t.Fatalf("hint after an in-sync run: %v, %v; want %v", h.OriginChangedAt, err, at)
	}
	e.recordHint(&federation.Federation{Name: f.Name}, &FederationResult{})
	if h, err := readHint(e.CachePath(f.Name)); err != nil || !h.OriginChangedAt.Equal(at) {
		t.Errorf("hint after an in-sync run the forge said no time for: %v, %v; want it kept", h.OriginChangedAt, err)
	}
	e.recordHint(&federation.Federation{Name: f.Name}, &FederationResult{err: errors.New("mirror down")})
	if _, err := readHint(e.CachePath(f.Name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("hint after a failed run: %v, want it removed", err)
	}
}
