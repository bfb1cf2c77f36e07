package gitexec

import (
	"errors"
	"strings"
	"testing"
)

// TestGiteeRefusalSaysHowToSetTheAccountName: Gitee, on gitee.com or
// self-hosted, takes a token only with the account's own name; without
// one configured, a 403 or a 401 there says how to set it. The forge
// decides, not the host name: gitee.com as a plain host, or a Gitee
// with the name set, gets the usual hints.
func TestGiteeRefusalSaysHowToSetTheAccountName(t *testing.T) {
	refused := func(url string, status int) error {
		return &Error{Subcommand: "push", ExitCode: 128, Err: errors.New("exit status 128"),
			Stderr: "fatal: unable to access '" + url + "': The requested URL returned error: " + map[int]string{401: "401", 403: "403"}[status]}
	}
	const nameHint = "Gitee needs the account name with a token: set it with `git config --global credential.%s.username <account>`"
	for _, tc := range []struct {
		url, host string
		status    int
		acct      Account
		want      string
	}{
		{"https://gitee.com/o/r.git", "https://gitee.com", 403, Account{Forge: "gitee"}, nameHint},
		{"https://git.corp.example/o/r.git", "https://git.corp.example", 403, Account{Forge: "gitee"}, nameHint},
		{"https://git.corp.example/o/r.git", "https://git.corp.example", 401, Account{Forge: "gitee"}, nameHint},
		{"https://git.corp.example/o/r.git", "https://git.corp.example", 403, Account{Forge: "gitee", Named: true}, "the token for %s cannot write here"},
		{"https://git.corp.example/o/r.git", "https://git.corp.example", 401, Account{Forge: "gitee", Named: true}, "run `git federate login %s`"},
		{"https://gitee.com/o/r.git", "https://gitee.com", 401, Account{Forge: "plain"}, "run `git federate login %s`"},
	} {
		got := ExplainAs(refused(tc.url, tc.status), tc.url, tc.acct).Error()
		want := strings.ReplaceAll(tc.want, "%s", tc.host)
		if !strings.Contains(got, want) {
			t.Errorf("%s %d %+v: hint lacks %q:\n%s", tc.url, tc.status, tc.acct, want, got)
		}
	}
}
