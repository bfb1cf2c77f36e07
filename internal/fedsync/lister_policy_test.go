package fedsync

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
)

// A protocol git's policy forbids (protocol.http.allow = never) is not
// listed by this process either: the listing goes to git, which refuses
// it in its words, the federation fails, and no request reaches the
// server. Allowed (the policy "user", the user running sync), the same
// servers are listed in-process.
func TestForbiddenProtocolIsNotListedInProcess(t *testing.T) {
	var asked atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		advertise(w, r)
	}))
	defer srv.Close()
	origin, err1 := federation.ParseEndpoint(srv.URL + "/origin.git")
	mirror, err2 := federation.ParseEndpoint(srv.URL + "/mirror.git")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	f := &federation.Federation{Name: "policy", Origin: origin, Mirrors: []federation.Endpoint{mirror}}
	for _, policy := range []string{"never", "user"} {
		asked.Store(0)
		e := hostEngineWith(t, srv.URL, 2, "[protocol \"http\"]\n\tallow = "+policy+"\n")
		res := e.Sync(context.Background(), f, Options{})
		requests, gitListings := e.Counters()
		switch policy {
		case "never":
			if res.Outcome() != "failed" || !strings.Contains(res.Error, "transport 'http' not allowed") {
				t.Errorf("never: sync = %s, error %q: want git's refusal", res.Outcome(), res.Error)
			}
			if requests != 0 || asked.Load() != 0 || gitListings == 0 {
				t.Errorf("never: %d requests counted, %d reached the server, %d git listings: want none sent, git asked",
					requests, asked.Load(), gitListings)
			}
		case "user":
			if res.Outcome() != "ok" || requests != 2 || gitListings != 0 || asked.Load() != 2 {
				t.Errorf("user: sync = %s %q, %d requests (%d seen), %d git listings: want both listed in-process",
					res.Outcome(), res.Error, requests, asked.Load(), gitListings)
			}
		}
	}
}
