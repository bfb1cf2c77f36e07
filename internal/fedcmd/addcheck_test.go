package fedcmd

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// TestAddChecksServersOnGitea meets the set-up guide's usual errors at
// `add` time on a real forge: a repository that is not there, an invalid
// token, a token without write access, and a missing mirror that
// createMissing will make. Each is a warning that says what to do; the
// federation is written and add exits 3.
var sharedOriginWarning = regexp.MustCompile(`(?m)^warning: \S+ is also the origin of .*$`)

func TestAddChecksServersOnGitea(t *testing.T) {
	gittest.Isolate(t)
	t.Setenv("FEDERATE_KEYRING", "off")
	g := gittest.StartGitea(t)
	host := strings.TrimPrefix(g.URL, "http://")
	env := keystore.EnvName(host)
	origin := g.CreateRepo(t, "app")
	mirror := g.CreateRepo(t, "app-mirror")
	gittest.Git(t, "", "config", "--global", "federate."+g.URL+".forge", "gitea")
	readOnly := g.Scoped(t, "read-only", "read:repository")

	for _, c := range []struct {
		name, token, mirror string
		set                 []string
		want                string // "" means no warning
	}{
		{"ok", g.Token, mirror.CloneURL, nil, ""},
		{"renamed", g.Token, g.URL + "/" + g.User + "/gone.git", nil, "not found: was it deleted or renamed?"},
		{"create", g.Token, g.URL + "/" + g.User + "/to-make.git", []string{"createMissing=true"}, ""},
		{"badtoken", "0123456789abcdef0123456789abcdef01234567", mirror.CloneURL, nil, "invalid token"},
		{"readonly", readOnly, mirror.CloneURL, nil, "needs the scope write:repository (change it at " + g.URL + "/user/settings/applications)"},
	} {
		t.Setenv(env, c.token)
		var out, errOut bytes.Buffer
		err := runAdd(t.Context(), IO{Out: &out, Err: &errOut}, AddOptions{Name: c.name, Global: true, Check: true,
			Origin: origin.CloneURL, Mirrors: []string{c.mirror}, Set: c.set})
		if got := gittest.Git(t, "", "config", "--global", "federation."+c.name+".mirror"); got != c.mirror {
			t.Errorf("%s: mirror not written: %q", c.name, got)
		}
		if strings.Contains(errOut.String(), c.token) {
			t.Fatalf("%s: warning holds the token:\n%s", c.name, errOut.String())
		}
		if c.want == "" {
			// Every case is a federation of the one origin: add warns of
			// that from the second on (TestAddWarnsAboutASharedOrigin).
			if err != nil || strings.TrimSpace(sharedOriginWarning.ReplaceAllString(errOut.String(), "")) != "" {
				t.Errorf("%s: %v\n%s", c.name, err, errOut.String())
			}
			continue
		}
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != ExitPartial || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%s: %v, want exit 3 and a warning with %q:\n%s", c.name, err, c.want, errOut.String())
		}
	}

	// auth says the same of the host: the token's scopes as Gitea names
	// them, and what the configuration needs there that it lacks.
	t.Setenv(env, readOnly)
	var out bytes.Buffer
	err := runAuth(t.Context(), AuthOptions{JSON: true, IO: IO{Out: &out, Err: &bytes.Buffer{}}})
	var got []HostAuth
	if jerr := json.Unmarshal(out.Bytes(), &got); jerr != nil || len(got) != 1 {
		t.Fatalf("auth --json: %v\n%s", jerr, out.String())
	}
	a := got[0]
	var scopes []string
	for _, m := range a.Missing {
		scopes = append(scopes, m.Need+"="+m.Scope)
	}
	if err == nil || !a.Valid || a.Access == nil || strings.Join(a.Access.Scopes, ",") != "read:repository" ||
		strings.Join(scopes, " ") != "create=write:repository write=write:repository" || strings.Contains(out.String(), readOnly) {
		t.Fatalf("auth with a read-only token: %v\n%s", err, out.String())
	}
}

// TestAddNamesARefusedCertificate: add's check of a server on a known
// forge whose TLS certificate git refuses (expired, its CA trusted) says
// so, not that the server is unreachable, in the words of Go's TLS.
func TestAddNamesARefusedCertificate(t *testing.T) {
	gittest.Isolate(t)
	t.Setenv("FEDERATE_KEYRING", "off")
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{gittest.Certificate(t, time.Now().Add(-time.Hour), "127.0.0.1")}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	gittest.Git(t, "", "config", "--global", "http.sslCAInfo", gittest.CAFile(t, srv))
	gittest.Git(t, "", "config", "--global", "federate."+srv.URL+".forge", "gitea")
	token := "0123456789abcdef0123456789abcdef01234567"
	t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "https://")), token)
	var out, errOut bytes.Buffer
	err := runAdd(t.Context(), IO{Out: &out, Err: &errOut}, AddOptions{Name: "f", Global: true, Check: true,
		Origin: srv.URL + "/o/app.git", Mirrors: []string{"http://127.0.0.1:9/m.git"}})
	var ee *ExitError
	want := srv.URL + ": TLS certificate refused (not from a CA git trusts, expired, or for another host): "
	if !errors.As(err, &ee) || ee.Code != ExitPartial || !strings.Contains(errOut.String(), want) ||
		!strings.Contains(errOut.String(), "x509: certificate has expired") || strings.Contains(errOut.String(), srv.URL+": server unreachable") {
		t.Errorf("add: %v, want exit 3 and a warning with %q:\n%s", err, want, errOut.String())
	}
	if strings.Contains(out.String()+errOut.String(), token) {
		t.Errorf("add's output holds the token:\n%s%s", out.String(), errOut.String())
	}
}
