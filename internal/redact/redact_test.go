package redact

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanMasksKnownTokenInEveryForm(t *testing.T) {
	r := New()
	r.Add("x-access-token", "s3cretTok")
	b64 := base64.StdEncoding.EncodeToString([]byte("x-access-token:s3cretTok"))
	b64tok := base64.StdEncoding.EncodeToString([]byte("s3cretTok"))
	in := "denied for s3cretTok (header Basic " + b64 + ", raw " + b64tok + ")"
	got := r.Clean(in)
	for _, bad := range []string{"s3cretTok", b64, b64tok} {
		if strings.Contains(got, bad) {
			t.Errorf("Clean(%q) = %q, still holds %q", in, got, bad)
		}
	}
}

func TestCleanMasksUnknownCredentialShapes(t *testing.T) {
	var r *Redactor // knows nothing
	for in, want := range map[string]string{
		"Authorization: Basic eDpzM2NyZXQxMjM=": "Authorization: Basic ***",
		"bad token ghp_abc123def456 for repo":   "bad token *** for repo",
		"GET /x?access_token=abc123def456&y=1":  "GET /x?access_token=***&y=1",
		"token verification failed":             "token verification failed",
		"the token is fine, the server is not":  "the token is fine, the server is not",
	} {
		if got := r.Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStripDropsTerminalControls(t *testing.T) {
	in := "ok\x1b]0;pwned\x07 line\r\nfake\x9b2J \x7fend\tcol\n"
	want := "ok line\nfake end\tcol\n"
	if got := Strip(in); got != want {
		t.Errorf("Strip(%q) = %q, want %q", in, got, want)
	}
}

// TestStripDropsWholeEscapeSequences: a sequence goes with its
// parameters, not just its ESC, so nothing like "[31m" is left behind.
func TestStripDropsWholeEscapeSequences(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"\x1b[31mDENIED\x1b[0m", "DENIED"},
		{"\x1b[1;31;40mred\x1b[m on black", "red on black"},
		{"\x1b[?25lhidden cursor\x1b[?25h", "hidden cursor"},
		{"up\x1b[2Aover\x1b[2K", "upover"},
		{"\x1b]0;title\x07text", "text"},
		{"\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"\x1bPq#0;2;0;0;0\x1b\\after DCS", "after DCS"},
		{"\x1b7saved\x1b8 \x1bc\x1b(Bcharset", "saved charset"},
		{"\u009b31mC1 CSI\u009b0m", "C1 CSI"},
		{"\u009d0;title\u009cC1 OSC", "C1 OSC"},
		{"raw \x9b31mLatin-1 CSI", "raw Latin-1 CSI"},
		{"\x1b]0;never ends\nnext line", "\nnext line"},
		{"\x1b[31\x1b[0mbroken", "broken"},
		{"lone ESC at the end\x1b", "lone ESC at the end"},
		{"ESC before é: \x1bé", "ESC before é: é"},
		{"keep [31m typed by hand", "keep [31m typed by hand"},
		{"中文\x1b[1m粗体\x1b[0m", "中文粗体"},
	} {
		if got := Strip(c.in); got != c.want {
			t.Errorf("Strip(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzStripLeavesNoControl(f *testing.F) {
	for _, s := range []string{"\x1b[31mx", "\x1b]0;t\x07", "\x9b1m", "\u009d\x1b\\", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Strip(in)
		if !utf8.ValidString(out) || strings.ContainsFunc(out, isControl) {
			t.Fatalf("Strip(%q) = %q", in, out)
		}
		if len(out) > len(in) {
			t.Fatalf("Strip(%q) = %q grew", in, out)
		}
	})
}

func TestURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://bob:hunter2@git.example.com/x.git": "https://bob:xxxxx@git.example.com/x.git",
		"https://bob@git.example.com/x.git":         "https://bob@git.example.com/x.git",
		"https://git.example.com/x.git":             "https://git.example.com/x.git",
		"git@git.example.com:x.git":                 "git@git.example.com:x.git",
	} {
		if got := URL(raw); got != want {
			t.Errorf("URL(%q) = %q, want %q", raw, got, want)
		}
	}
}
