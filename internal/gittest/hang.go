package gittest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// HangHook installs the hook name (pre-receive, a packObjectsHook...) in
// the bare repository at repo, which takes its input and then answers
// nothing until the test ends (two minutes at most): a server that
// accepts a push and hangs. It returns the hook's path.
//
// For pre-receive it also turns off the repository's receive.keepAlive:
// by default receive-pack sends a keepalive every 5 s while a hook is
// silent, and a limit longer than that (HangLimit) would never see the
// server stop. A packObjectsHook needs uploadpack.keepAlive = 0 in the
// server's own config for the same reason.
func HangHook(t testing.TB, repo, name string) string {
	t.Helper()
	if name == "pre-receive" {
		Git(t, "", "config", "--file", filepath.Join(repo, "config"), "receive.keepAlive", "0")
	}
	release := filepath.Join(t.TempDir(), "release")
	t.Cleanup(func() { os.WriteFile(release, nil, 0o600) })
	script := fmt.Sprintf(`#!/bin/sh
cat >/dev/null
i=0
while [ ! -e %s ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
exit 1
`, shellQuote(release))
	p := filepath.Join(repo, "hooks", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
