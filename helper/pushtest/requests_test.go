package pushtest

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// requestsFor are the requests s served for app.git since the first
// `skip` of them.
func requestsFor(s server, skip int) []gittest.Request {
	var out []gittest.Request
	for _, r := range s.Requests()[skip:] {
		if strings.HasPrefix(r.Path, "/app.git/") {
			out = append(out, r)
		}
	}
	return out
}

// Over a network every request is a round trip: a push through federate
// must cost origin what a plain `git push` with a credential helper
// costs: one refused ref advertisement, the same with the token, and the
// pack.
func TestPushCostsOriginWhatPlainGitCosts(t *testing.T) {
	f := newFed(t)
	tip := f.commit("a.txt", "one commit")
	before := len(f.origin.Requests())
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, f.all()...)
	got := requestsFor(f.origin, before)
	var seen []string
	for _, r := range got {
		seen = append(seen, r.Method+" "+r.Path+"?"+r.Query)
	}
	if len(got) != 3 {
		t.Fatalf("origin served %d requests, want 3 as for plain git:\n%s", len(got), strings.Join(seen, "\n"))
	}
	if got[0].Authorization != "" || got[1].Authorization == "" || got[2].Method != "POST" || !got[2].Push() {
		t.Errorf("want a refused advertisement, an authorized one, then the pack:\n%s", strings.Join(seen, "\n"))
	}
}
