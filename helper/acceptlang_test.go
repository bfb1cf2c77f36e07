package helper

import (
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// TestAcceptLanguageAsGitSends clones from a server with and without
// protocol v2 (the relay and the child gits of the fallback) in a Korean
// locale: the server sees the Accept-Language plain git sends, and the
// clone works (the children's messages, which the helper reads, stay
// English).
func TestAcceptLanguageAsGitSends(t *testing.T) {
	for _, v0 := range []bool{false, true} {
		name := map[bool]string{false: "v2", true: "v0"}[v0]
		t.Run(name, func(t *testing.T) {
			gittest.Isolate(t)
			var mu sync.Mutex
			var seen []string
			srv := gittest.NewServer(t, gittest.Auth{Token: "lang-token"})
			srv.AddFault(gittest.Fault{Prefix: "/", Hook: func(r *http.Request) {
				if v0 {
					r.Header.Del("Git-Protocol")
				}
				if r.Method == http.MethodGet {
					mu.Lock()
					seen = append(seen, r.Header.Get("Accept-Language"))
					mu.Unlock()
				}
			}})
			url := srv.InitBare(t, "app.git")
			gittest.Seed(t, gittest.NewWorkRepo(t), srv.Path("app.git"))
			t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), "lang-token")
			gittest.Git(t, "", "config", "--global", "credential.helper", "")
			t.Setenv("LANGUAGE", "ko_KR.UTF-8:en_US.UTF-8")
			headers := func(remote string) []string {
				mu.Lock()
				seen = nil
				mu.Unlock()
				dst := filepath.Join(t.TempDir(), "clone")
				env := []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader", "GIT_CONFIG_VALUE_0=Authorization: Basic " + gittest.BasicAuthHeader("x", "lang-token")}
				if out, err := gittest.GitCombined("", env, "clone", remote, dst); err != nil {
					t.Fatalf("clone %s: %v\n%s", remote, err, out)
				}
				mu.Lock()
				defer mu.Unlock()
				return append([]string(nil), seen...)
			}
			plain := headers(url)
			if len(plain) == 0 || plain[0] != "ko-KR, en-US;q=0.9, *;q=0.8" {
				t.Fatalf("plain git sent %q", plain)
			}
			fed := headers("federate::" + url)
			if len(fed) == 0 {
				t.Fatal("the server saw no GET through federate::")
			}
			for _, got := range fed {
				if got != plain[0] {
					t.Errorf("through federate:: the server saw Accept-Language %q, plain git sends %q", got, plain[0])
				}
			}
		})
	}
}
