package fedcmd

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

func TestStatusMissingMirrorIsNotUnreachable(t *testing.T) {
	fx := newSyncFixture(t, 2)
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/", Status: 404, Body: "not found"})
	r := fx.status(t, StatusOptions{})
	if r.code != ExitPartial || !strings.Contains(r.out, ": NOT FOUND: ") || strings.Contains(r.out, "UNREACHABLE") {
		t.Fatalf("missing mirror: exit %d, want 3 and NOT FOUND\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestSyncFailureNamesTheFederationOnce(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.srv.AddFault(gittest.Fault{Prefix: "/origin.git/", Status: 404, Body: "not found"})
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitFailure || !strings.Contains(r.out, "demo: FAILED: origin") || strings.Contains(r.out, "demo: FAILED: demo:") {
		t.Fatalf("origin missing: exit %d, want 1 and the name once\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestSyncWithoutArgumentsSaysWhatToGive(t *testing.T) {
	gittest.Isolate(t)
	r := runMain(t, t.TempDir(), "", "sync")
	if r.code != ExitUsage || !strings.Contains(r.err, "name the federations to sync, or give --all") || strings.Contains(r.err, "not both") {
		t.Errorf("sync alone: exit %d, %q", r.code, r.err)
	}
}

// closedPort is a port on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestAuthAndDoctorTellADownServerFromABadToken: a server that does not
// answer is not a token problem, and ssh and git:// hosts get no advice
// to log in.
func TestAuthAndDoctorTellADownServerFromABadToken(t *testing.T) {
	gittest.Isolate(t)
	down := "http://" + closedPort(t)
	gittest.Git(t, "", "config", "--global", "federation.f.origin", down+"/o.git")
	gittest.Git(t, "", "config", "--global", "--add", "federation.f.mirror", "git://127.0.0.1:9/m.git")
	gittest.Git(t, "", "config", "--global", "--add", "federation.f.mirror", "ssh://git@127.0.0.1:22/m.git")

	stdio, out, _ := testIO("")
	err := runAuth(t.Context(), AuthOptions{IO: stdio, Deps: TokenDeps{Getenv: func(string) string { return "" }}})
	if exitCodeOf(err) != ExitFailure {
		t.Errorf("auth: %v, want exit 1", err)
	}
	for _, want := range []string{down + "  ", "UNREACHABLE: ", "git://127.0.0.1:9: git:// has no authentication",
		"ssh://127.0.0.1: ssh uses your keys"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("auth output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "TOKEN REFUSED") {
		t.Errorf("auth blames the token of a server that is down:\n%s", out)
	}

	stdio, out, _ = testIO("")
	opts := doctorOpts(t)
	opts.Getenv = func(string) string { return "" }
	if err := runDoctor(t.Context(), stdio, opts); err == nil {
		t.Errorf("doctor passed with the origin's server down:\n%s", out)
	}
	report := out.String()
	for _, want := range []string{"server unreachable", "check that " + down + " is up"} {
		if !strings.Contains(report, want) {
			t.Errorf("doctor report lacks %q:\n%s", want, report)
		}
	}
	for _, bad := range []string{"git federate login " + down, "git federate login git://", "git federate login ssh://"} {
		if strings.Contains(report, bad) {
			t.Errorf("doctor advises %q:\n%s", bad, report)
		}
	}
}

func TestAuthWithOnlyGitProtocolHosts(t *testing.T) {
	gittest.Isolate(t)
	gittest.Git(t, "", "config", "--global", "federation.g.origin", "git://127.0.0.1:9/o.git")
	gittest.Git(t, "", "config", "--global", "federation.g.mirror", "git://127.0.0.1:9/m.git")
	stdio, out, _ := testIO("")
	if err := runAuth(t.Context(), AuthOptions{IO: stdio}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "No http(s) host is configured, so no token is needed.") ||
		!strings.Contains(out.String(), "git://127.0.0.1:9") {
		t.Errorf("auth with git:// hosts only:\n%s", out)
	}
}

// TestAuthAndDoctorNameARefusedCertificate: a server whose TLS
// certificate git refuses (here it expired, its CA trusted) is neither
// down nor a token problem: auth labels it so, and doctor says what to
// do about the certificate, not to log in or to check the network.
func TestAuthAndDoctorNameARefusedCertificate(t *testing.T) {
	gittest.Isolate(t)
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{gittest.Certificate(t, time.Now().Add(-time.Hour), "127.0.0.1")}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	gittest.Git(t, "", "config", "--global", "http.sslCAInfo", gittest.CAFile(t, srv))
	gittest.Git(t, "", "config", "--global", "federation.f.origin", srv.URL+"/o.git")

	stdio, out, _ := testIO("")
	err := runAuth(t.Context(), AuthOptions{IO: stdio, Deps: TokenDeps{Getenv: func(string) string { return "" }}, JSON: true})
	var hosts []HostAuth
	if jerr := json.Unmarshal(out.Bytes(), &hosts); exitCodeOf(err) != ExitFailure || jerr != nil || len(hosts) != 1 ||
		hosts[0].Problem != problemCertificate || !strings.Contains(hosts[0].Error, "certificate") {
		t.Errorf("auth --json: %v (%v), want exit 1 and one host whose problem is %s:\n%s", err, jerr, problemCertificate, out)
	}
	stdio, out, _ = testIO("")
	_ = runAuth(t.Context(), AuthOptions{IO: stdio, Deps: TokenDeps{Getenv: func(string) string { return "" }}})
	if !strings.Contains(out.String(), "CERTIFICATE REFUSED: ") || strings.Contains(out.String(), "UNREACHABLE") {
		t.Errorf("auth output does not name the certificate:\n%s", out)
	}

	stdio, out, _ = testIO("")
	opts := doctorOpts(t)
	opts.Getenv = func(string) string { return "" }
	if err := runDoctor(t.Context(), stdio, opts); err == nil {
		t.Errorf("doctor passed with the origin's certificate expired:\n%s", out)
	}
	report := out.String()
	if !strings.Contains(report, "TLS certificate refused: ") || !strings.Contains(report, "renew "+srv.URL+"'s certificate if it expired") {
		t.Errorf("doctor report does not name the certificate:\n%s", report)
	}
	for _, bad := range []string{"server unreachable", "git federate login " + srv.URL} {
		if strings.Contains(report, bad) {
			t.Errorf("doctor says %q:\n%s", bad, report)
		}
	}
}

// apiProblem sorts a forge API call that failed on the certificate as
// auth's git check does.
func TestAPIProblemOfARefusedCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{gittest.Certificate(t, time.Now().Add(24*time.Hour), "mirror.example.org")}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, err := http.Get(srv.URL)
	if err == nil {
		t.Fatal("a certificate for another host was accepted")
	}
	if got := apiProblem(fmt.Errorf("GET %s/api/v1/user: %w", srv.URL, err)); got != problemCertificate {
		t.Errorf("apiProblem(%v) = %q, want %q", err, got, problemCertificate)
	}
}

// A host that git ls-remote cannot reach because git's protocol policy
// forbids its protocol is PROTOCOL NOT ALLOWED in auth, not
// UNREACHABLE, and doctor says its token was not tried, and why. The
// server gets no request: git refused it first.
func TestAuthAndDoctorNameAForbiddenProtocol(t *testing.T) {
	gittest.Isolate(t)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	gittest.Git(t, "", "config", "--global", "federation.f.origin", srv.URL+"/o.git")
	gittest.Git(t, "", "config", "--global", "protocol.http.allow", "never")
	noEnv := func(string) string { return "" }

	stdio, out, _ := testIO("")
	err := runAuth(t.Context(), AuthOptions{IO: stdio, Deps: TokenDeps{Getenv: noEnv}, JSON: true})
	var hosts []HostAuth
	if jerr := json.Unmarshal(out.Bytes(), &hosts); exitCodeOf(err) != ExitFailure || jerr != nil || len(hosts) != 1 ||
		hosts[0].Problem != problemProtocol || !strings.Contains(hosts[0].Error, "transport 'http' not allowed") {
		t.Errorf("auth --json: %v (%v), want exit 1 and one host whose problem is %s, in git's words:\n%s", err, jerr, problemProtocol, out)
	}
	stdio, out, _ = testIO("")
	_ = runAuth(t.Context(), AuthOptions{IO: stdio, Deps: TokenDeps{Getenv: noEnv}})
	if !strings.Contains(out.String(), "PROTOCOL NOT ALLOWED: ") || strings.Contains(out.String(), "UNREACHABLE") {
		t.Errorf("auth output does not name the protocol policy:\n%s", out)
	}
	stdio, out, _ = testIO("")
	opts := doctorOpts(t)
	opts.Getenv = noEnv
	if err := runDoctor(t.Context(), stdio, opts); err == nil {
		t.Errorf("doctor passed with the origin's protocol forbidden:\n%s", out)
	}
	report := out.String()
	if !strings.Contains(report, "not tried: ") || !strings.Contains(report, "allow the protocol of "+srv.URL) ||
		strings.Contains(report, "server unreachable") {
		t.Errorf("doctor report does not say the policy kept the token from being tried:\n%s", report)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the server got %d requests under a policy that forbids its protocol", n)
	}
}

// A refused token's fix names where the token lives: the variable it came
// from, which `git federate login` would not change; with no token and no
// keyring, the variable to set. No token at all is not a refused one.
func TestAuthAndDoctorNameWhereTheTokenLives(t *testing.T) {
	gittest.Isolate(t)
	t.Setenv("FEDERATE_KEYRING", "off")
	srv := gittest.NewServer(t, gittest.Auth{Token: "right-token-4f1c"})
	gittest.Git(t, "", "config", "--global", "federation.f.origin", srv.InitBare(t, "o.git"))
	host := strings.TrimPrefix(srv.URL, "http://")
	variable := keystore.EnvName(host)
	deps := TokenDeps{Exe: filepath.Join(gittest.BinDir(t), "git-federate")}

	t.Setenv(variable, "wrong-token-77aa")
	stdio, out, _ := testIO("")
	_ = runAuth(t.Context(), AuthOptions{IO: stdio, Deps: deps})
	for _, want := range []string{"env:" + variable, "TOKEN REFUSED", "the server refused the credentials: set a valid token in " + variable + " (it comes before the OS keyring"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("auth with a wrong variable lacks %q:\n%s", want, out)
		}
	}
	stdio, out, _ = testIO("")
	_ = runDoctor(t.Context(), stdio, doctorOpts(t))
	if want := "fix: the server refused the credentials: set a valid token in " + variable; !strings.Contains(out.String(), want) {
		t.Errorf("doctor lacks %q:\n%s", want, out)
	}
	if strings.Contains(out.String(), "git federate login "+srv.URL) {
		t.Errorf("doctor advises a login that would not be used:\n%s", out)
	}
	if strings.Contains(out.String(), "wrong-token-77aa") {
		t.Errorf("doctor shows the token:\n%s", out)
	}

	t.Setenv(variable, "")
	stdio, out, _ = testIO("")
	_ = runAuth(t.Context(), AuthOptions{IO: stdio, Deps: deps})
	for _, want := range []string{"NO TOKEN", "no token for " + srv.URL + ": set " + variable + " (the OS keyring is off or unreachable"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("auth with no token lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "TOKEN REFUSED") {
		t.Errorf("auth calls a token refused where none was sent:\n%s", out)
	}
}
