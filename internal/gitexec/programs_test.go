package gitexec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProgramCommandRunsFromExecPath: with GIT_EXEC_PATH set (git sets it
// for the helpers it runs), git's own program runs from there, without
// the `git` wrapper process; without it, or with another git binary
// named, the command stays `git <name>`.
func TestProgramCommandRunsFromExecPath(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "git-remote-test")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho \"ran $0 $*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GIT_EXEC_PATH="+dir)
	out, err := Runner{Env: env}.ProgramCommand(context.Background(), "remote-test", "origin", "https://example.com/r").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), "ran "+prog+" origin https://example.com/r"; got != want {
		t.Errorf("ran %q, want %q", got, want)
	}
	for name, r := range map[string]Runner{
		"no exec path":      {Env: append(os.Environ(), "GIT_EXEC_PATH=")},
		"no such program":   {Env: append(os.Environ(), "GIT_EXEC_PATH="+t.TempDir())},
		"another git named": {Git: "/opt/other/git", Env: env},
	} {
		cmd := r.ProgramCommand(context.Background(), "remote-test", "origin")
		if got := strings.Join(cmd.Args, " "); !strings.HasSuffix(got, "git remote-test origin") || cmd.Path == prog {
			t.Errorf("%s: runs %s (%s), want git remote-test origin", name, cmd.Path, got)
		}
	}
}
