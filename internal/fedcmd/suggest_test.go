package fedcmd

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestUnknownFederationSuggests checks that every command taking a name
// answers a typo with exit 2 and the near miss, never with an invitation
// to define the typo as a new federation.
func TestUnknownFederationSuggests(t *testing.T) {
	gittest.Isolate(t)
	dir := t.TempDir()
	gittest.Git(t, dir, "config", "--global", "federation.myproj.origin", "https://example.com/o.git")
	gittest.Git(t, dir, "config", "--global", "federation.myproj.mirror", "https://example.org/m.git")
	for _, args := range [][]string{
		{"status", "myproy"},
		{"sync", "myproy"},
		{"remove", "--global", "myproy"},
	} {
		r := runBinary(t, dir, "", args...)
		if r.code != ExitUsage || !strings.Contains(r.err, `did you mean "myproj"?`) || strings.Contains(r.err, "git federate add") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a did-you-mean", args, r.code, r.err)
		}
	}
}

// TestHelperSuggestsFederation: git runs the remote helper for a
// misspelt federate:: URL; its error names the near miss.
func TestHelperSuggestsFederation(t *testing.T) {
	gittest.Isolate(t)
	dir := t.TempDir()
	gittest.Git(t, dir, "config", "--global", "federation.myproj.origin", "https://example.com/o.git")
	gittest.Git(t, dir, "config", "--global", "federation.myproj.mirror", "https://example.org/m.git")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "clone", "federate::myproy", "x")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `did you mean "myproj"?`) || strings.Contains(string(out), "git federate add myproy") {
		t.Errorf("git clone federate::myproy: %v\n%s", err, out)
	}
}
