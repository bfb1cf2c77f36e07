package forge

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeForge answers GET /user as the forges do, checking the token where
// each forge expects it.
func fakeForge(t *testing.T, token string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("PRIVATE-TOKEN")
		if a := r.Header.Get("Authorization"); a != "" {
			got = strings.TrimPrefix(a, "token ")
		}
		if q := r.URL.Query().Get("access_token"); q != "" {
			got = q
		}
		switch {
		case r.URL.Path != "/api/user":
			http.NotFound(w, r)
		case got != token:
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		case r.Header.Get("PRIVATE-TOKEN") != "":
			w.Write([]byte(`{"username":"gl-user"}`))
		default:
			w.Write([]byte(`{"login":"octo"}`))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestCurrentUser(t *testing.T) {
	s := fakeForge(t, "good")
	for forge, want := range map[string]string{"github": "octo", "gitlab": "gl-user", "gitee": "octo", "gitea": "octo"} {
		u, err := Client{}.CurrentUser(context.Background(), forge, s.URL+"/api", "good")
		if err != nil || u.Login != want {
			t.Errorf("%s: %+v %v, want %s", forge, u, err, want)
		}
		_, err = Client{}.CurrentUser(context.Background(), forge, s.URL+"/api", "bad-secret")
		if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "bad-secret") {
			t.Errorf("%s wrong token: %v", forge, err)
		}
	}
	s.Close()
	_, err := Client{}.CurrentUser(context.Background(), "gitee", s.URL+"/api", "tok-secret")
	if err == nil || strings.Contains(err.Error(), "tok-secret") {
		t.Fatalf("unreachable gitee: %v", err)
	}
}

func TestAPIBase(t *testing.T) {
	for _, c := range []struct{ forge, host, override, want string }{
		{"github", "https://github.com", "", "https://api.github.com"},
		{"gitlab", "https://gl.example.com", "", "https://gl.example.com/api/v4"},
		{"gitee", "https://gitee.com", "", "https://gitee.com/api/v5"},
		{"gitea", "http://127.0.0.1:3000", "", "http://127.0.0.1:3000/api/v1"},
		{"gitlab", "https://gl.example.com", "https://gl.example.com/gitlab/api/v4/", "https://gl.example.com/gitlab/api/v4"},
	} {
		if got, err := APIBase(c.forge, c.host, c.override); err != nil || got != c.want {
			t.Errorf("APIBase(%s, %s) = %q, %v; want %q", c.forge, c.host, got, err, c.want)
		}
	}
	if _, err := APIBase("plain", "https://x", ""); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("plain: %v", err)
	}
}
