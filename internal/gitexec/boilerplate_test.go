package gitexec

import (
	"context"
	"errors"
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
