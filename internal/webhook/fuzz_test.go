package webhook

import (
	"strings"
	"testing"
)

// FuzzRepoURLs feeds arbitrary webhook bodies: repoURLs must not panic,
// and every URL it returns is one line.
func FuzzRepoURLs(f *testing.F) {
	for _, b := range []string{githubPush, gitlabPush, giteePush, giteaPush, "payload=%7B%7D", "{}", "[]", `{"repository":null}`} {
		f.Add("application/json", b)
	}
	f.Add("application/x-www-form-urlencoded", "payload="+githubPush)
	f.Add("application/json", `{"repository":{"url":"\r"}}`)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		urls, err := repoURLs(contentType, []byte(body))
		if err != nil {
			return
		}
		for _, u := range urls {
			if strings.ContainsAny(u, "\n\r\x00") {
				t.Fatalf("URL %q spans lines", u)
			}
		}
	})
}
