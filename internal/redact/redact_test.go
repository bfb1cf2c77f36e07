package redact

import (
	"encoding/base64"
	"strings"
	"testing"
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
	want := "ok]0;pwned line\nfake2J end\tcol\n"
	if got := Strip(in); got != want {
		t.Errorf("Strip(%q) = %q, want %q", in, got, want)
	}
}
