package fedcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	zkeyring "github.com/zalando/go-keyring"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// mapKeyring is an in-memory keyring backend.
type mapKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *mapKeyring) Get(s, u string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[s+" "+u]
	if !ok {
		return "", zkeyring.ErrNotFound
	}
	return v, nil
}

func (k *mapKeyring) Set(s, u, p string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[s+" "+u] = p
	return nil
}

func (k *mapKeyring) Delete(s, u string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[s+" "+u]; !ok {
		return zkeyring.ErrNotFound
	}
	delete(k.m, s+" "+u)
	return nil
}

// fakeGitea answers GET /api/v1/user for token good, given the way
// Gitea ("token") or Gitee ("Bearer") takes it.
func fakeGitea(t *testing.T, good string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		ok := a == "token "+good || a == "Bearer "+good
		if r.URL.Path != "/api/v1/user" || !ok {
			http.Error(w, `{"message":"token is required"}`, http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"login":"alice"}`))
	}))
	t.Cleanup(s.Close)
	return s
}

// tokenEnv isolates the test and returns deps with an in-memory keyring.
func tokenEnv(t *testing.T) (TokenDeps, *mapKeyring) {
	gittest.Isolate(t)
	t.Setenv("FEDERATE_KEYRING", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	kr := &mapKeyring{m: map[string]string{}}
	return TokenDeps{Keyring: kr}, kr
}

func login(t *testing.T, d TokenDeps, url, stdin string, extra ...func(*LoginOptions)) (string, error) {
	t.Helper()
	var stderr bytes.Buffer
	o := LoginOptions{URL: url, TokenStdin: true, IO: IO{In: strings.NewReader(stdin), Out: &bytes.Buffer{}, Err: &stderr}, Deps: d}
	for _, f := range extra {
		f(&o)
	}
	err := runLogin(context.Background(), o)
	return stderr.String(), err
}

func TestLoginVerifiesWithForgeAPIAndStores(t *testing.T) {
	d, kr := tokenEnv(t)
	api := fakeGitea(t, "good-token")
	gittest.Git(t, "", "config", "--global", "federate.https://forge.example.com.forge", "gitea")
	gittest.Git(t, "", "config", "--global", "federate.https://forge.example.com.api", api.URL+"/api/v1")

	_, err := login(t, d, "https://forge.example.com", "bad-token\n")
	if err == nil || strings.Contains(err.Error(), "bad-token") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong token: %v", err)
	}
	if len(kr.m) != 0 {
		t.Fatalf("a refused token was stored: %v", kr.m)
	}
	out, err := login(t, d, "https://forge.example.com/", "good-token\n")
	if err != nil || !strings.Contains(out, "as alice") {
		t.Fatalf("login: %v\n%s", err, out)
	}
	if got := kr.m["git-remote-federate https://forge.example.com"]; got != "good-token" {
		t.Fatalf("keyring holds %q", got)
	}
	// --no-verify stores without asking; logout deletes.
	if _, err := login(t, d, "https://forge.example.com", "other", func(o *LoginOptions) { o.NoVerify = true }); err != nil {
		t.Fatal(err)
	}
	if got := kr.m["git-remote-federate https://forge.example.com"]; got != "other" {
		t.Fatalf("replace: keyring holds %q", got)
	}
	lo := LogoutOptions{URL: "https://forge.example.com", IO: IO{Err: &bytes.Buffer{}}, Deps: d}
	if err := runLogout(context.Background(), lo); err != nil || len(kr.m) != 0 {
		t.Fatalf("logout: %v, keyring %v", err, kr.m)
	}
	if err := runLogout(context.Background(), lo); err == nil || !strings.Contains(err.Error(), "no token") {
		t.Fatalf("second logout: %v", err)
	}
}

func TestLoginFailsLoudlyWithoutKeyring(t *testing.T) {
	d, _ := tokenEnv(t)
	t.Setenv("FEDERATE_KEYRING", "off")
	_, err := login(t, d, "https://forge.example.com", "tok")
	if !errors.Is(err, keystore.ErrKeyringUnavailable) || !strings.Contains(err.Error(), "FEDERATE_TOKEN_FORGE_EXAMPLE_COM") ||
		!strings.Contains(err.Error(), "unset FEDERATE_KEYRING") {
		t.Fatalf("keyring off: %v", err)
	}
	t.Setenv("FEDERATE_KEYRING", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if _, err := login(t, d, "https://forge.example.com", "tok", func(o *LoginOptions) { o.NoVerify = true }); !errors.Is(err, keystore.ErrKeyringUnavailable) {
		t.Fatalf("no bus: %v", err)
	}
}

func TestLoginInputErrors(t *testing.T) {
	d, kr := tokenEnv(t)
	for _, c := range []struct{ url, stdin, want string }{
		{"https://gitee.com", "tok", "credential.https://gitee.com.username"},
		{"ssh://host/repo.git", "tok", "http and https"},
		{"https://forge.example.com/o/r.git", "", "empty token"},
		{"https://forge.example.com/o/r.git", "a b", "whitespace"},
		{"https://forge.example.com", "tok", "--no-verify"},
	} {
		_, err := login(t, d, c.url, c.stdin)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("login %s: %v, want %q", c.url, err, c.want)
		}
	}
	var stderr bytes.Buffer
	err := runLogin(context.Background(), LoginOptions{URL: "https://x.example.com", IO: IO{In: strings.NewReader("tok"), Err: &stderr}, Deps: d})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != ExitUsage || !strings.Contains(err.Error(), "--token-stdin") {
		t.Fatalf("no terminal, no --token-stdin: %v", err)
	}
	if len(kr.m) != 0 {
		t.Fatalf("stored %v", kr.m)
	}
	// With the account name the Gitee check passes that stage and saves it.
	_, err = login(t, d, "https://gitee.com", "tok", func(o *LoginOptions) { o.Username, o.NoVerify = "alice", true })
	if err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, "", "config", "--global", "credential.https://gitee.com.username"); got != "alice" {
		t.Fatalf("username saved as %q", got)
	}
}

func TestAuthReportsSourcesNeverTokens(t *testing.T) {
	d, kr := tokenEnv(t)
	api := fakeGitea(t, "good-token")
	for _, h := range []string{"https://a.example.com", "https://b.example.com"} {
		gittest.Git(t, "", "config", "--global", "federate."+h+".forge", "gitea")
		gittest.Git(t, "", "config", "--global", "federate."+h+".api", api.URL+"/api/v1")
	}
	gittest.Git(t, "", "config", "--global", "federation.p.origin", "https://a.example.com/o/r.git")
	gittest.Git(t, "", "config", "--global", "federation.p.mirror", "https://b.example.com/o/r.git")
	t.Setenv("FEDERATE_TOKEN_A_EXAMPLE_COM", "good-token")
	kr.m["git-remote-federate https://b.example.com"] = "stale-secret"

	var out bytes.Buffer
	err := runAuth(context.Background(), AuthOptions{JSON: true, IO: IO{Out: &out, Err: &bytes.Buffer{}}, Deps: d})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != ExitFailure {
		t.Fatalf("auth with a stale token: %v, want exit 1", err)
	}
	if s := out.String(); strings.Contains(s, "good-token") || strings.Contains(s, "stale-secret") {
		t.Fatalf("auth --json shows a token:\n%s", s)
	}
	var got []HostAuth
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []HostAuth{
		{Host: "https://a.example.com", Forge: "gitea", Source: "env:FEDERATE_TOKEN_A_EXAMPLE_COM", Valid: true, Check: "api"},
		{Host: "https://b.example.com", Forge: "gitea", Source: "keyring", Valid: false, Check: "api"},
	}
	if len(got) != 2 || !sameAuth(got[0], want[0]) || got[1].Source != want[1].Source || got[1].Valid || got[1].Error == "" {
		t.Fatalf("auth = %+v\nwant %+v", got, want)
	}
}

func TestLoginGiteeChecksAccountName(t *testing.T) {
	d, kr := tokenEnv(t)
	api := fakeGitea(t, "good-token") // answers login "alice"
	gittest.Git(t, "", "config", "--global", "federate.https://gitee.com.api", api.URL+"/api/v1")
	_, err := login(t, d, "https://gitee.com", "good-token", func(o *LoginOptions) { o.Username = "bob" })
	if err == nil || !strings.Contains(err.Error(), `"alice"`) || len(kr.m) != 0 {
		t.Fatalf("mismatched account: %v (keyring %v)", err, kr.m)
	}
	gittest.Git(t, "", "config", "--global", "credential.https://gitee.com.username", "alice")
	if out, err := login(t, d, "https://gitee.com", "good-token"); err != nil || !strings.Contains(out, "as alice") {
		t.Fatalf("configured account: %v\n%s", err, out)
	}
}

func TestAuthCoversFederationSets(t *testing.T) {
	d, _ := tokenEnv(t)
	gittest.Git(t, "", "config", "--global", "federationset.all.origin", "https://c.example.com/owner")
	gittest.Git(t, "", "config", "--global", "federationset.all.mirror", "https://d.example.com/owner")
	t.Setenv("FEDERATE_TOKEN_D_EXAMPLE_COM", "tok")
	var out bytes.Buffer
	err := runAuth(context.Background(), AuthOptions{IO: IO{Out: &out, Err: &bytes.Buffer{}}, Deps: d})
	if err == nil {
		t.Fatal("a host without a token passed")
	}
	s := out.String()
	if !strings.Contains(s, "https://c.example.com") || !strings.Contains(s, "no token") ||
		!strings.Contains(s, "env:FEDERATE_TOKEN_D_EXAMPLE_COM") || strings.Contains(s, "tok\n") {
		t.Fatalf("auth:\n%s", s)
	}
}

// sameAuth compares what a host check says of the token itself.
func sameAuth(a, b HostAuth) bool {
	return a.Host == b.Host && a.Forge == b.Forge && a.Source == b.Source && a.Valid == b.Valid &&
		a.Check == b.Check && a.Error == b.Error && a.Problem == b.Problem
}

// A token the server refuses, checked with git ls-remote (no forge API):
// login fails naming the refusal, stores nothing, and does not tell the
// user to run the login they are running.
func TestLoginRefusedByAGitServer(t *testing.T) {
	d, kr := tokenEnv(t)
	d.Exe = filepath.Join(gittest.BinDir(t), "git-federate") // the credential callback
	srv := gittest.NewServer(t, gittest.Auth{Token: "good-token"})
	srv.InitBare(t, "r.git")
	_, err := login(t, d, srv.RepoURL("r.git"), "bad-token\n")
	if err == nil || !strings.Contains(err.Error(), "refused the token") || strings.Contains(err.Error(), "git federate login") ||
		strings.Contains(err.Error(), "bad-token") {
		t.Fatalf("refused token: %v", err)
	}
	if len(kr.m) != 0 {
		t.Fatalf("a refused token was stored: %v", kr.m)
	}
	if _, err := login(t, d, srv.RepoURL("r.git"), "good-token\n"); err != nil {
		t.Fatalf("good token: %v", err)
	}
}

// logout with the keyring off, or with no token in it, still says that a
// variable gives a token for the host.
func TestLogoutNamesTheVariableStillSet(t *testing.T) {
	d, _ := tokenEnv(t)
	t.Setenv("FEDERATE_TOKEN_FORGE_EXAMPLE_COM", "from-env")
	for _, off := range []string{"off", ""} {
		t.Setenv("FEDERATE_KEYRING", off)
		var stderr bytes.Buffer
		err := runLogout(context.Background(), LogoutOptions{URL: "https://forge.example.com", IO: IO{Err: &stderr}, Deps: d})
		if err == nil || !strings.Contains(stderr.String(), "note: $FEDERATE_TOKEN_FORGE_EXAMPLE_COM still gives a token for https://forge.example.com") {
			t.Errorf("keyring %q: %v\n%s", off, err, stderr.String())
		}
	}
}
