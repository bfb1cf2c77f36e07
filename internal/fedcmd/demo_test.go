package fedcmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func demoOpts(t *testing.T) DemoOptions {
	return DemoOptions{Exe: filepath.Join(gittest.BinDir(t), "git-federate"), TempDir: t.TempDir()}
}

// assertNoTrace checks that the demo removed its directory and left the
// user's (here: the isolated) global git config alone.
func assertNoTrace(t *testing.T, opts DemoOptions, before string) {
	t.Helper()
	left, err := os.ReadDir(opts.TempDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("demo left %v in %s", left, opts.TempDir)
	}
	home, _ := os.UserHomeDir()
	after, _ := os.ReadFile(filepath.Join(home, ".gitconfig"))
	if string(after) != before {
		t.Errorf("the user's global git config changed:\n%s", after)
	}
}

func readGlobalConfig(t *testing.T) string {
	home, _ := os.UserHomeDir()
	b, err := os.ReadFile(filepath.Join(home, ".gitconfig"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDemoRunsTheWholeStory needs clone, push, status and sync, written
// in parallel with this test: until they are merged it fails at the clone.
func TestDemoRunsTheWholeStory(t *testing.T) {
	gittest.Isolate(t)
	before := readGlobalConfig(t)
	opts := demoOpts(t)
	stdio, out, _ := testIO("")
	err := runDemo(t.Context(), stdio, opts)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		"$ git federate add demo --global",
		"$ git clone federate::demo work",
		"$ git push origin main",
		"✓ main is",
		"$ git federate status demo",
		"$ git federate sync demo",
		"Done:",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The sync report's first line comes right after the command, not
	// after its progress.
	if _, after, _ := strings.Cut(out.String(), "$ git federate sync demo\n"); !strings.HasPrefix(after, "    demo: http://") {
		t.Errorf("sync's report does not start right after the command:\n%s", after)
	}
	if n := strings.Count(out.String(), "on the origin and both mirrors"); n != 2 {
		t.Errorf("verified %d times, want 2 (after push and after sync):\n%s", n, out)
	}
	assertNoTrace(t, opts, before)
}

func TestDemoCleansUpWhenInterrupted(t *testing.T) {
	gittest.Isolate(t)
	before := readGlobalConfig(t)
	opts := demoOpts(t)
	ctx, cancel := context.WithCancel(t.Context())
	stdio, out, _ := testIO("")
	// Interrupt as soon as the first server is up, as Ctrl-C would.
	stdio.Out = writerFunc(func(p []byte) (int, error) {
		if strings.Contains(string(p), "/demo.git") {
			cancel()
		}
		return out.Write(p)
	})
	err := runDemo(ctx, stdio, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled\n%s", err, out)
	}
	assertNoTrace(t, opts, before)
}

func TestDemoKeep(t *testing.T) {
	gittest.Isolate(t)
	opts := demoOpts(t)
	opts.Keep = true
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	stdio, out, _ := testIO("")
	runDemo(ctx, stdio, opts)
	left, _ := os.ReadDir(opts.TempDir)
	if len(left) != 1 || !strings.Contains(out.String(), filepath.Join(opts.TempDir, left[0].Name())) {
		t.Errorf("--keep: left %v, said %q", left, out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
