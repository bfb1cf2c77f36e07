package forge

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzAPIMessage feeds arbitrary error bodies: the message shown is one
// line of valid UTF-8 without control characters, at most 200 bytes and
// an ellipsis, and never holds the token.
func FuzzAPIMessage(f *testing.F) {
	f.Add([]byte(`{"message":"Bad credentials"}`), "ghp_secret1")
	f.Add([]byte(`{"message":{"name":["has already been taken"]}}`), "glpat-123456")
	f.Add([]byte(`{"message":"bad token ghp_secret1","errors":[{"message":"\u001b]0;x\u0007"}]}`), "ghp_secret1")
	f.Add([]byte(`{"error":"`+strings.Repeat("é", 300)+`"}`), "tok1")
	f.Fuzz(func(t *testing.T, data []byte, token string) {
		msg := apiMessage(data, token)
		if !utf8.ValidString(msg) || strings.ContainsFunc(msg, unicode.IsControl) {
			t.Fatalf("message %q is not clean text", msg)
		}
		if len(msg) > 200+len("…") {
			t.Fatalf("message is %d bytes", len(msg))
		}
		if len(token) >= 8 && strings.TrimSpace(token) == token && !strings.ContainsFunc(token, unicode.IsSpace) && strings.Contains(msg, token) {
			t.Fatalf("message %q holds the token", msg)
		}
	})
}

// FuzzRepoListing feeds arbitrary listing replies: decoding and mapping a
// repository must not panic.
func FuzzRepoListing(f *testing.F) {
	f.Add([]byte(`[{"name":"r","full_name":"o/r","clone_url":"https://h/o/r.git","private":true}]`))
	f.Add([]byte(`[{"path":"r","path_with_namespace":"g/r","visibility":"public","http_url_to_repo":"https://h/g/r.git"}]`))
	f.Add([]byte(`[{"name":"../r"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var list []apiRepo
		if json.Unmarshal(data, &list) != nil {
			return
		}
		for _, a := range list {
			r := a.repo()
			if CheckName(r.Name) == nil && strings.ContainsAny(r.Name, "/\\") {
				t.Fatalf("name %q passes CheckName", r.Name)
			}
		}
	})
}
