package fedcmd

import (
	"strings"
	"testing"
)

// Expected values come from `printf %s 'secret-ALL' | sha1sum` and so on:
// Gitblit's StringUtils.getSHA1(passphrase + "-" + type), lower-case hex.
func TestTokenMatchesGitblit(t *testing.T) {
	stdio, out, _ := testIO("secret\n")
	if err := runToken(stdio, TokenOptions{PassphraseStdin: true, Sets: []string{"apache"}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ALL":                    "dd0c7bb92862f5480dd7016f046b5593c064989b",
		"USERS_AND_REPOSITORIES": "41f5744f1a736c9c8f0a49472603294f39c1b4a4",
		"REPOSITORIES":           "0403232689d06423d90b0ccd130ed771b091a695",
		"set apache":             "011fda04057dc5423756ab1c27c488836a7d64eb",
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("output:\n%s", out)
	}
	for _, line := range lines {
		i := strings.LastIndexByte(line, ' ')
		kind, tok := strings.TrimSpace(line[:i]), line[i+1:]
		if want[kind] != tok {
			t.Errorf("%s: %s, want %s", kind, tok, want[kind])
		}
	}
}

func TestGitblitTokenLatin1(t *testing.T) {
	// Java encodes ISO-8859-1: 'é' is one byte 0xe9 (printf 'p\xe9-ALL' | sha1sum).
	if got := GitblitToken("pé", "ALL"); got != "929841521dbd26a86c70ea04307d9fa01826bd41" {
		t.Errorf("got %s", got)
	}
}

func TestTokenRefusals(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		opts TokenOptions
		want string
		code int
	}{
		{"no flag", "x", TokenOptions{}, "--passphrase-stdin is required", ExitUsage},
		{"empty", "\n", TokenOptions{PassphraseStdin: true}, "empty", ExitUsage},
		{"empty set", "x", TokenOptions{PassphraseStdin: true, Sets: []string{""}}, "set name", ExitUsage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stdio, _, _ := testIO(tt.in)
			err := runToken(stdio, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || exitCodeOf(err) != tt.code {
				t.Errorf("err = %v (exit %d), want %q exit %d", err, exitCodeOf(err), tt.want, tt.code)
			}
		})
	}
}
