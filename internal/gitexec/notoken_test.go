package gitexec

import (
	"errors"
	"strings"
	"testing"
)

// TestRefusalWithoutTokenSaysHowToGiveOne: a 403 where federate holds no
// token is not the token's doing, on a push or a fetch, at a Gitee too:
// the hint says how to give one. With a token (or not knowing), the
// hint speaks of the token's scope as before; a 401 keeps its hint.
func TestRefusalWithoutTokenSaysHowToGiveOne(t *testing.T) {
	const url, host = "https://git.corp.example/o/r.git", "https://git.corp.example"
	refused := func(status string) error {
		return &Error{Subcommand: "fetch", ExitCode: 128, Err: errors.New("exit status 128"),
			Stderr: "fatal: unable to access '" + url + "': The requested URL returned error: " + status}
	}
	noToken := "no token for " + host + ": run `git federate login " + host + "` or set FEDERATE_TOKEN_GIT_CORP_EXAMPLE"
	none := Account{NoToken: true, TokenVar: "FEDERATE_TOKEN_GIT_CORP_EXAMPLE"}
	for _, tc := range []struct {
		name    string
		explain func(error, string, Account) error
		status  string
		acct    Account
		kind    Kind
		want    string
	}{
		{"push, no token", ExplainAs, "403", none, KindNoWrite, noToken},
		{"fetch, no token", ExplainReadAs, "403", none, KindNoRead, noToken},
		{"fetch, no token, Gitee", ExplainReadAs, "403", Account{Forge: "gitee", NoToken: true}, KindNoRead, "no token for " + host + ": run `git federate login " + host + "`"},
		{"push, token", ExplainAs, "403", Account{}, KindNoWrite, "the token for " + host + " cannot write here"},
		{"fetch, token", ExplainReadAs, "403", Account{}, KindNoRead, "the token for " + host + " cannot read this repository"},
		{"401, no token", ExplainAs, "401", none, KindAuth, "run `git federate login " + host + "`"},
	} {
		err := tc.explain(refused(tc.status), url, tc.acct)
		var he *HintError
		if !errors.As(err, &he) || he.Kind != tc.kind || !strings.Contains(he.Hint, tc.want) {
			t.Errorf("%s: got %v, want kind %v and the hint %q", tc.name, err, tc.kind, tc.want)
		}
		if tc.acct.NoToken && strings.Contains(he.Hint, "the token") {
			t.Errorf("%s: the hint blames a token there is not: %q", tc.name, he.Hint)
		}
	}
}
