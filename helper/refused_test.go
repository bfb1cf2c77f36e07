package helper

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// TestFetchRefusedSaysRead checks that a server refusing a fetch (403)
// gets a hint about reading, not the push's "cannot write here", with
// protocol v2 (the relay) and v0 (listed by a child git).
func TestFetchRefusedSaysRead(t *testing.T) {
	for _, v0 := range []bool{false, true} {
		t.Run(map[bool]string{false: "v2", true: "v0"}[v0], func(t *testing.T) {
			gittest.Isolate(t)
			if v0 {
				gittest.Git(t, "", "config", "--global", "protocol.version", "0")
			}
			srv := gittest.NewServer(t, gittest.Auth{})
			url := srv.InitBare(t, "app.git")
			host := strings.TrimPrefix(srv.URL, "http://")
			t.Setenv(keystore.EnvName(host), "tok-may-not-read") // without one, the hint says how to give one
			srv.AddFault(gittest.Fault{Prefix: "/", Status: 403, Body: "forbidden"})
			out, err := gittest.GitCombined("", nil, "ls-remote", "federate::"+url)
			if err == nil {
				t.Fatalf("ls-remote of a refusing server succeeded:\n%s", out)
			}
			if strings.Contains(out, "cannot write") || !strings.Contains(out, "read") {
				t.Errorf("a refused fetch should speak of reading, not writing:\n%s", out)
			}
		})
	}
}
