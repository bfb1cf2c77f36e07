package gitexec

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// IsAncestor answers true, false (git's exit 1) or, for an object the
// repository lacks, an error: the callers treat that as "fetch first" or
// a rewind, never as a fast forward.
func TestIsAncestor(t *testing.T) {
	ctx := context.Background()
	r := Runner{Dir: t.TempDir(), Timeout: time.Minute,
		Env: []string{"GIT_CONFIG_NOSYSTEM=1", "HOME=" + t.TempDir(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com",
			"GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@example.com", "PATH=" + os.Getenv("PATH")}}
	commit := func(msg string) string {
		t.Helper()
		if err := r.Run(ctx, "commit", "-q", "--allow-empty", "-m", msg); err != nil {
			t.Fatal(err)
		}
		out, err := r.Output(ctx, "rev-parse", "HEAD")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	if err := r.Run(ctx, "init", "-q"); err != nil {
		t.Fatal(err)
	}
	c1, c2 := commit("one"), commit("two")
	if ok, err := r.IsAncestor(ctx, c1, c2); !ok || err != nil {
		t.Errorf("c1 before c2: %v, %v", ok, err)
	}
	if ok, err := r.IsAncestor(ctx, c2, c1); ok || err != nil {
		t.Errorf("c2 before c1: %v, %v; want false, nil", ok, err)
	}
	if ok, err := r.IsAncestor(ctx, strings.Repeat("ab", 20), c2); ok || err == nil {
		t.Errorf("a missing object: %v, %v; want an error", ok, err)
	}
}
