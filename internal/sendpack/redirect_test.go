package sendpack

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A repository renamed on its own server (its listing redirected there)
// is pushed where the listing came from, as git does with
// http.followRedirects = initial; the token goes with each request, and
// the push itself is not redirected.
func TestRenamedRepositoryIsFollowedWithinServer(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		_, tok, _ := r.BasicAuth()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+tok)
		mu.Unlock()
		if rest, ok := strings.CutPrefix(r.URL.Path, "/old.git/"); ok {
			http.Redirect(w, r, "/new.git/"+rest+"?"+r.URL.RawQuery, http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Type", "application/x-git-receive-pack-advertisement")
		fmt.Fprint(w, advertisement(oid1+" refs/heads/main\x00report-status\n"))
	}))
	defer srv.Close()
	cl, err := New(Config{URL: srv.URL + "/old.git", User: "u", Token: "secret-token"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Advertise(context.Background()); err != nil {
		t.Fatalf("Advertise: %v", err)
	}
	if got := cl.endpoint("/git-receive-pack", ""); got != srv.URL+"/new.git/git-receive-pack" {
		t.Errorf("the push would go to %s", got)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"GET /old.git/info/refs secret-token", "GET /new.git/info/refs secret-token"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}
