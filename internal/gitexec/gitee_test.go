package gitexec

import (
	"errors"
	"strings"
	"testing"
)

// TestGitee403SaysHowToSetTheAccountName: Gitee answers 403 to a token
// sent without the account name; the hint says how to set it.
func TestGitee403SaysHowToSetTheAccountName(t *testing.T) {
	err := &Error{Subcommand: "ls-remote", ExitCode: 128,
		Stderr: "fatal: unable to access 'https://gitee.com/o/r.git/': The requested URL returned error: 403", Err: errors.New("exit status 128")}
	got := Explain(err, "https://gitee.com/o/r.git").Error()
	for _, want := range []string{"Gitee", "account name", "git config --global credential.https://gitee.com.username <account>"} {
		if !strings.Contains(got, want) {
			t.Errorf("hint lacks %q:\n%s", want, got)
		}
	}
}
