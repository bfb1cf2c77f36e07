package gitexec

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A failure over ssh reads as one line: ssh's own, or the server's.
func TestErrorDropsGitsTransportBoilerplate(t *testing.T) {
	for stderr, want := range map[string]string{
		"ssh: connect to host 127.0.0.1 port 2222: Connection refused\r\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n": "ssh: connect to host 127.0.0.1 port 2222: Connection refused",
		"fatal: '/x.git' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n":         "fatal: '/x.git' does not appear to be a git repository",
		"fatal: Could not read from remote repository.\n":                   "fatal: Could not read from remote repository.",
		"fatal: unable to access 'https://x/': Could not resolve host: x\n": "fatal: unable to access 'https://x/': Could not resolve host: x",
	} {
		err := Runner{}.wrap(context.Background(), []string{"ls-remote"}, stderr, errors.New("exit status 128"))
		var e *Error
		if !errors.As(err, &e) || e.Stderr != want {
			t.Errorf("stderr %q kept as %q, want %q", stderr, e.Stderr, want)
		}
	}
}

// The not-found hint speaks of tokens only where tokens apply.
func TestNotFoundHintOverSSHSpeaksOfKeys(t *testing.T) {
	notFound := &Error{Subcommand: "push", ExitCode: 128, Stderr: "fatal: '/x.git' does not appear to be a git repository"}
	for url, want := range map[string]string{
		"git@example.com:x.git":     "to a key that may not read it",
		"ssh://example.com/x.git":   "to a key that may not read it",
		"https://example.com/x.git": "without a valid token",
		"/srv/git/x.git":            "renamed?",
		"file:///srv/git/x.git":     "renamed?",
	} {
		var he *HintError
		if !errors.As(Explain(notFound, url), &he) || !strings.HasSuffix(strings.TrimSuffix(he.Hint, ")"), want) {
			t.Errorf("hint for %s: %v, want %q", url, he, want)
		}
	}
}
