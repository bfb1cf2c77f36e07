package fedcmd

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// privateCAForge is a GitHub-like API over https whose certificate only
// http.sslCAInfo in the global config makes trusted (a company forge
// with its own CA), with the federationset "big" of one repository, r1.
func privateCAForge(t *testing.T) {
	t.Helper()
	gittest.Isolate(t)
	t.Setenv("GIT_SSL_CAINFO", "")
	os.Unsetenv("GIT_SSL_CAINFO") // this machine's bundle, which git's config gives way to
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/orgs/big/repos":
			fmt.Fprint(w, `[{"name":"r1","full_name":"big/r1"}]`)
		case "/api/repos/big/r1/hooks":
			fmt.Fprint(w, `[]`)
		case "/api/user":
			fmt.Fprint(w, `{"login":"alice"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(api.Close)
	ca := gittest.CAFile(t, api)
	u, _ := url.Parse(api.URL)
	t.Setenv(keystore.EnvName(u.Host), "tok-private-ca")
	configGlobal(t, [][2]string{
		{"http.sslCAInfo", ca},
		{"federationset.big.origin", api.URL + "/big"},
		{"federationset.big.mirror", api.URL + "/down"},
		{"federate." + api.URL + ".forge", "github"},
		{"federate." + api.URL + ".api", api.URL + "/api"},
	})
}

// A forge whose certificate git trusts through http.sslCAInfo in git's
// config is trusted for its API too: sync and hook list list the
// federationset, auth checks the token with it. The API calls went by git's environment alone, and
// failed on the certificate where git's own fetches succeed.
func TestForgeAPIGoesByGitsHTTPSettings(t *testing.T) {
	t.Run("sync", func(t *testing.T) {
		privateCAForge(t)
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = runSync(ctx, SyncOptions{IO: IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, All: true, Jobs: 2, DryRun: true,
			SyncEnv: SyncEnv{Exe: filepath.Join(gittest.BinDir(t), "git-federate"), LockWait: time.Minute}})
		if all := out.String() + errOut.String(); !strings.Contains(all, "big/r1") || strings.Contains(all, "certificate") || strings.Contains(all, "tok-private-ca") {
			t.Errorf("sync did not list the set through the trusted API:\n%s", all)
		}
	})
	t.Run("hook list", func(t *testing.T) {
		privateCAForge(t)
		out, err := hook(t, HookOptions{Action: hookList, Names: []string{"big"}})
		if err != nil || !strings.Contains(out, "big/r1") || strings.Contains(out, "tok-private-ca") {
			t.Errorf("hook list: %v\n%s", err, out)
		}
	})
	t.Run("auth", func(t *testing.T) {
		privateCAForge(t)
		var out, errOut bytes.Buffer
		_ = runAuth(t.Context(), AuthOptions{JSON: true, IO: IO{Out: &out, Err: &errOut}})
		if !strings.Contains(out.String(), `"valid": true`) || strings.Contains(out.String()+errOut.String(), "certificate") ||
			strings.Contains(out.String()+errOut.String(), "tok-private-ca") {
			t.Errorf("auth did not check the token with the trusted API:\n%s%s", out.String(), errOut.String())
		}
	})
}
