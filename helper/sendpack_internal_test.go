package helper

import (
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
)

// An http.<url>.* key applies to a mirror as git's urlmatch applies it:
// same scheme, host and port (a "*" in the host matches), a path prefix
// at a "/". What applies sends the mirror through git's transport.
func TestURLMatches(t *testing.T) {
	m, err := federation.ParseEndpoint("https://git.example.com/team/app.git")
	if err != nil {
		t.Fatal(err)
	}
	for sub, want := range map[string]bool{
		"https://git.example.com":                   true,
		"https://git.example.com/":                  true,
		"https://git.example.com:443/team":          true,
		"https://*.example.com/team/app.git":        true,
		"https://git.example.com/team/app.git":      true,
		"https://git.example.com/te":                false,
		"http://git.example.com":                    false,
		"https://git.example.com:8443":              false,
		"https://other.example.com":                 false,
		"https://user@git.example.com":              false,
		"https://git.example.com/team/app.git/more": false,
		"not a url %zz":                             true, // unknown: git's side
	} {
		if got := urlMatches(sub, m); got != want {
			t.Errorf("urlMatches(%q) = %v, want %v", sub, got, want)
		}
	}
}
