package forge

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestTokenNeverFollowsRedirectToOtherOrigin has an API answer 302 to
// another port of 127.0.0.1: the second server must never see the token,
// whatever header the forge takes it in, and the call must fail saying
// why.
func TestTokenNeverFollowsRedirectToOtherOrigin(t *testing.T) {
	var mu sync.Mutex
	var leaked []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		for _, h := range []string{"Authorization", "Private-Token"} {
			if v := r.Header.Get(h); v != "" {
				leaked = append(leaked, h+": "+v)
			}
		}
		w.Write([]byte(`{"login":"mallory"}`))
	}))
	defer other.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer origin.Close()

	for _, f := range []string{GitHub, GitLab, Gitea, Gitee} {
		for _, hc := range []*http.Client{nil, {}} {
			c := Client{HTTP: hc}
			_, err := c.CurrentUser(context.Background(), f, origin.URL+"/api", "s3cret-token")
			if err == nil || !strings.Contains(err.Error(), "redirect") {
				t.Errorf("%s: CurrentUser() = %v, want a refused redirect", f, err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret-token") {
				t.Errorf("%s: error holds the token: %v", f, err)
			}
		}
	}
	if len(leaked) > 0 {
		t.Errorf("the other origin received: %v", leaked)
	}
}

// TestSameOriginRedirectKeepsToken checks that a redirect within the API's
// own origin (a renamed repository) still works.
func TestSameOriginRedirectKeepsToken(t *testing.T) {
	f := newFake(t)
	f.on("GET", "/api/user", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/api/user2", http.StatusMovedPermanently)
	})
	f.on("GET", "/api/user2", func(w http.ResponseWriter, r *http.Request) {
		if authOf(r.Header) != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"login":"alice"}`))
	})
	u, err := Client{}.CurrentUser(context.Background(), GitHub, f.URL+"/api", "tok")
	if err != nil || u.Login != "alice" {
		t.Fatalf("CurrentUser() = %v, %v", u, err)
	}
	if errors.Is(err, ErrUnauthorized) {
		t.Fatal("token dropped on a same-origin redirect")
	}
}

// TestNoTokenToPlainHTTPAPI: the API of a non-loopback host over plain
// http never gets the token; the call fails before any request.
func TestNoTokenToPlainHTTPAPI(t *testing.T) {
	_, err := Client{}.CurrentUser(context.Background(), Gitea, "http://forge.invalid/api/v1", "tok")
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("CurrentUser over http = %v, want a refusal", err)
	}
}
