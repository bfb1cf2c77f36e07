package gitexec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// A server's refusal reason reaches the push report without terminal
// escapes and without any token it echoes: the report is printed to the
// user and stored in the pending queue.
func TestPushReportIsCleaned(t *testing.T) {
	const token = "tok-0123456789abcdef"
	fake := filepath.Join(t.TempDir(), "git")
	script := "#!/bin/sh\nprintf 'To u\\n!\\trefs/heads/main:refs/heads/main\\t[remote rejected] (\\033]0;pwned\\007denied for " +
		token + "\\r)\\nDone\\n'\nexit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	red := redact.New()
	red.Add("x", token)
	res, _ := Runner{Git: fake, Redact: red}.Push(t.Context(), Push{URL: "u", Updates: []Update{{Src: "main", Dst: "refs/heads/main"}}})
	got := res.Report("refs/heads/main")
	if got.OK() || !strings.Contains(got.Reason, "denied for") {
		t.Fatalf("report %+v", got)
	}
	if strings.ContainsAny(got.Reason+got.Summary, "\x1b\x07\r") || strings.Contains(got.Reason, token) {
		t.Errorf("reason not cleaned: %q", got.Reason)
	}
}
