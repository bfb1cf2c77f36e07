package leaktest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestLoginHiddenPrompt runs login on a real terminal (script(1) gives it
// a pty), waits for the prompt and types the token: the terminal must not
// echo it.
func TestLoginHiddenPrompt(t *testing.T) {
	f := newFixture(t, gittest.Auth{})
	withKeyring(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "script", "-q", "-e", "-c", "git federate login "+gitexec.ShellQuote(f.url), "/dev/null")
	cmd.Env = os.Environ()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen bytes.Buffer
	r := bufio.NewReader(io.TeeReader(stdout, &seen))
	for !strings.Contains(seen.String(), "Token (input hidden): ") {
		if _, err := r.ReadByte(); err != nil {
			t.Fatalf("no prompt: %v\n%s", err, seen.String())
		}
	}
	io.WriteString(stdin, token+"\n")
	rest, _ := io.ReadAll(r)
	err = cmd.Wait()
	stdin.Close()
	out := seen.String() + string(rest)
	if err != nil || !strings.Contains(out, "Stored the token") {
		t.Fatalf("login on a terminal: %v\n%s", err, out)
	}
	assertClean(t, "the terminal", out, token)
	if keyringLookup(t, f.srv.URL) != token {
		t.Fatal("the typed token was not stored")
	}
}
