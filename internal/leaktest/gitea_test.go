package leaktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

const giteaVersion = "v1.26.0"

// giteaBinary is the cached Gitea build (TESTING.md §3), built on first
// use: allow about five minutes (-timeout 20m) the first time.
func giteaBinary(t *testing.T) (bin, src string) {
	t.Helper()
	cache := userCache
	if c := os.Getenv("FEDERATE_TEST_CACHE"); c != "" {
		cache = c
	}
	if cache == "" {
		t.Fatal("no user cache directory for the Gitea build; set FEDERATE_TEST_CACHE")
	}
	bin = filepath.Join(cache, "git-federate-test", "gitea-"+giteaVersion)
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	src = filepath.Join(strings.TrimSpace(string(modcache)), "code.gitea.io", "gitea@"+giteaVersion)
	if _, err := os.Stat(filepath.Join(src, "options")); err != nil {
		if out, err := exec.Command("go", "mod", "download", "code.gitea.io/gitea@"+giteaVersion).CombinedOutput(); err != nil {
			t.Fatalf("go mod download gitea: %v\n%s", err, out)
		}
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, src
	}
	build := t.TempDir()
	steps := [][]string{
		{"cp", "-r", src + "/.", build},
		{"chmod", "-R", "u+w", build},
		{"go", "build", "-tags", "sqlite sqlite_unlock_notify", "-o", bin, "."},
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		cmd := exec.Command(s[0], s[1:]...)
		cmd.Dir = build
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building Gitea (%s): %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	return bin, src
}

// gitea is a running Gitea with an admin "alice" and a token of hers.
type gitea struct {
	URL, User, Token string
}

func startGitea(t *testing.T) gitea {
	t.Helper()
	bin, src := giteaBinary(t)
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join(src, "options"), dir).CombinedOutput(); err != nil {
		t.Fatalf("copying Gitea options: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ini := fmt.Sprintf(`APP_NAME = federate-test
RUN_USER = %s
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true
WORK_PATH = %[2]s
[database]
DB_TYPE = sqlite3
PATH = %[2]s/gitea.db
[repository]
ROOT = %[2]s/repos
[server]
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[3]d
ROOT_URL = %[4]s/
OFFLINE_MODE = true
DISABLE_SSH = true
APP_DATA_PATH = %[2]s/data
[security]
INSTALL_LOCK = true
[log]
ROOT_PATH = %[2]s/log
MODE = file
LEVEL = Warn
`, currentUser(), dir, port, url)
	conf := filepath.Join(dir, "app.ini")
	if err := os.WriteFile(conf, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+dir, "GITEA_WORK_DIR="+dir)
	giteaRun := func(args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"-c", conf}, args...)...)
		cmd.Env, cmd.Dir = env, dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gitea %s: %v\n%s", args[0], err, out)
		}
	}
	giteaRun("migrate")
	giteaRun("admin", "user", "create", "--admin", "--username", "alice", "--password", "Passw0rd-federate",
		"--email", "alice@example.com", "--must-change-password=false")
	web := exec.Command(bin, "-c", conf, "web")
	web.Env, web.Dir = env, dir
	var logs bytes.Buffer
	web.Stdout, web.Stderr = &logs, &logs
	if err := web.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { web.Process.Kill(); web.Wait() })
	waitHTTP(t, url+"/api/v1/version", &logs)

	var tok struct{ Sha1 string }
	giteaAPI(t, "POST", url+"/api/v1/users/alice/tokens", "", `{"name":"t","scopes":["all"]}`, &tok)
	return gitea{URL: url, User: "alice", Token: tok.Sha1}
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}

func waitHTTP(t *testing.T, url string, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Gitea did not answer %s:\n%s", url, logs.String())
}

// giteaAPI calls the API as alice (password when token is "").
func giteaAPI(t *testing.T, method, url, token, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token == "" {
		req.SetBasicAuth("alice", "Passw0rd-federate")
	} else {
		req.Header.Set("Authorization", "token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d", method, url, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoginVerifiesWithGiteaAPI: login checks a token with a real
// forge's API (forge = gitea), stores it in the real keyring, and the
// helper lists a private Gitea repository with it.
func TestLoginVerifiesWithGiteaAPI(t *testing.T) {
	gittest.Isolate(t)
	g := startGitea(t)
	withKeyring(t)
	giteaAPI(t, "POST", g.URL+"/api/v1/user/repos", g.Token, `{"name":"app","private":true,"auto_init":true,"default_branch":"main"}`, nil)
	gittest.Git(t, "", "config", "--global", "federate."+g.URL+".forge", "gitea")
	gittest.Git(t, "", "config", "--global", "federation.fed.origin", g.URL+"/alice/app.git")

	out, err := run(t, "", "wrong-"+g.Token, nil, "git", "federate", "login", "--token-stdin", g.URL)
	if err == nil || !strings.Contains(out, "401") {
		t.Fatalf("login with a wrong token: %v\n%s", err, out)
	}
	assertClean(t, "login error", out, "wrong-"+g.Token)
	if keyringLookup(t, g.URL) != "" {
		t.Fatal("a refused token was stored")
	}

	out, err = run(t, "", g.Token, nil, "git", "federate", "login", "--token-stdin", g.URL)
	if err != nil || !strings.Contains(out, "(as alice)") {
		t.Fatalf("login: %v\n%s", err, out)
	}
	assertClean(t, "login output", out, g.Token)
	if keyringLookup(t, g.URL) != g.Token {
		t.Fatal("token not in the keyring")
	}

	out, err = run(t, "", "", nil, "git", "ls-remote", "federate::fed")
	if err != nil || !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("ls-remote of a private Gitea repository: %v\n%s", err, out)
	}
	out, err = run(t, "", "", nil, "git", "federate", "auth", "--json")
	if err != nil || !strings.Contains(out, `"check": "api"`) || !strings.Contains(out, `"source": "keyring"`) {
		t.Fatalf("auth: %v\n%s", err, out)
	}
	assertClean(t, "auth --json", out, g.Token)
}
