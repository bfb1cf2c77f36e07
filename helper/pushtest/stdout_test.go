package pushtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// The helper's stdout is git's protocol channel: run it by hand, with
// progress on so the children have plenty to say, and check that every
// line it wrote is protocol.
func TestStdoutCarriesOnlyProtocol(t *testing.T) {
	f := newFed(t)
	c := f.commit("a.txt", "over the wire")
	mustGit(t, f.work, "tag", "-a", "-m", "t", "v9")
	script := "capabilities\n" +
		"option progress true\n" +
		"option verbosity 2\n" +
		"option push-option ci.skip\n" +
		"list for-push\n" +
		"push refs/heads/main:refs/heads/main\n" +
		"push refs/tags/v9:refs/tags/v9\n" +
		"push :refs/heads/nothing-here\n" +
		"\n"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(gittest.BinDir(t), "git-remote-federate"), "fed", "fed")
	cmd.Env = append(os.Environ(), "GIT_DIR="+filepath.Join(f.work, ".git"))
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v\nstderr:\n%s", err, stderr.String())
	}
	proto := regexp.MustCompile(`^(|[a-z*-]+( [a-z-]+)?|ok|[0-9a-f]{40} refs/\S+|@refs/\S+ HEAD|:object-format sha1|ok refs/\S+|error refs/\S+ .*)$`)
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	for _, l := range lines {
		if !proto.MatchString(l) {
			t.Errorf("non-protocol line on stdout: %q", l)
		}
	}
	want := []string{"ok refs/heads/main", "ok refs/tags/v9", "ok refs/heads/nothing-here", ""}
	if got := lines[len(lines)-len(want):]; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("push reply = %q, want %q\nstderr:\n%s", got, want, stderr.String())
	}
	f.wantRef("refs/heads/main", c, f.all()...)
	f.checkNoSecrets(stdout.String() + stderr.String())
}
