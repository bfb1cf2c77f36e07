package gittest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// GiteaVersion is the Gitea release the tests run; v1.27+ has a module
// path that does not match its go.mod.
const GiteaVersion = "v1.26.0"

// GiteaBinEnv names the variable that points at a Gitea binary.
const GiteaBinEnv = "FEDERATE_GITEA_BIN"

// GiteaBin is the Gitea binary the tests use: $FEDERATE_GITEA_BIN, else
// the one scripts/gitea.sh caches in ~/.cache/git-federate-test. The
// home directory is the user's real one, not $HOME, which Isolate moves.
func GiteaBin() string {
	if p := os.Getenv(GiteaBinEnv); p != "" {
		return p
	}
	home := os.Getenv("HOME")
	if u, err := user.Current(); err == nil && u.HomeDir != "" {
		home = u.HomeDir
	}
	return filepath.Join(home, ".cache", "git-federate-test", "gitea-"+GiteaVersion)
}

// Gitea is a real Gitea server on 127.0.0.1, with an admin user and an
// API token, for the life of one test.
type Gitea struct {
	// URL is the server's root, "http://127.0.0.1:<port>".
	URL string
	// User, Password and Token are the admin's; Token has every scope.
	User, Password, Token string

	dir  string
	bin  string
	cmd  *exec.Cmd
	stop func()
}

// Stop stops the server, as an outage would; the test's end stops it
// anyway.
func (g *Gitea) Stop() { g.stop() }

// StartGitea starts Gitea in a temporary work path and stops it when the
// test ends. The test fails (never skips) when the binary is missing:
// scripts/gitea.sh builds it.
func StartGitea(t testing.TB) *Gitea {
	t.Helper()
	return startGitea(t, false)
}

// StartGiteaLFS is StartGitea with Gitea's LFS server on: its
// repositories answer the LFS batch API at <repo>.git/info/lfs.
func StartGiteaLFS(t testing.TB) *Gitea {
	t.Helper()
	return startGitea(t, true)
}

func startGitea(t testing.TB, lfs bool) *Gitea {
	t.Helper()
	return startGiteaOn(t, lfs, freePort)
}

// startGiteaOn is startGitea with the source of ports to try.
func startGiteaOn(t testing.TB, lfs bool, port func() (int, error)) *Gitea {
	t.Helper()
	bin := GiteaBin()
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no Gitea binary at %s (%v): build it with scripts/gitea.sh, or set %s", bin, err, GiteaBinEnv)
	}
	// The password is the server's own, so that no other test's Gitea
	// (same user name) can pass for this one.
	g := &Gitea{dir: t.TempDir(), bin: bin, User: "fedadmin", Password: "fedadmin-" + randomHex(t)}
	if err := g.linkOptions(); err != nil {
		t.Fatal(err)
	}
	if err := g.writeIni(0, lfs); err != nil {
		t.Fatal(err)
	}
	g.gitea(t, "migrate")
	g.gitea(t, "admin", "user", "create", "--admin", "--username", g.User, "--password", g.Password,
		"--email", g.User+"@example.com", "--must-change-password=false")
	g.start(t, lfs, port)
	g.Token = g.createToken(t)
	return g
}

func randomHex(t testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// linkOptions links the options (locales, templates' data) from the
// Gitea module source: without them a build without bindata dies with
// "translation is missing".
func (g *Gitea) linkOptions() error {
	opts, err := giteaOptions()
	if err != nil {
		return err
	}
	return os.Symlink(opts, filepath.Join(g.dir, "options"))
}

// writeIni writes app.ini for a server on port (0 for the commands
// that do not listen).
func (g *Gitea) writeIni(port int, lfs bool) error {
	runUser := "root"
	if u, err := user.Current(); err == nil {
		runUser = u.Username
	}
	ini := fmt.Sprintf(`APP_NAME = federate-test
RUN_MODE = prod
RUN_USER = %[3]s
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true
WORK_PATH = %[1]s

[database]
DB_TYPE = sqlite3
PATH = %[1]s/data/gitea.db

[repository]
ROOT = %[1]s/repos

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[2]d
ROOT_URL = http://127.0.0.1:%[2]d/
APP_DATA_PATH = %[1]s/data
OFFLINE_MODE = true
DISABLE_SSH = true
START_SSH_SERVER = false
%[4]s

[security]
INSTALL_LOCK = true
SECRET_KEY = federate-test-secret-key
PASSWORD_COMPLEXITY = off

[service]
DISABLE_REGISTRATION = true

[webhook]
ALLOWED_HOST_LIST = loopback
DELIVER_TIMEOUT = 10

[mailer]
ENABLED = false

[cron.update_checker]
ENABLED = false

[log]
MODE = file
LEVEL = Warn
ROOT_PATH = %[1]s/log
`, g.dir, port, runUser, lfsSettings(g.dir, lfs))
	return os.WriteFile(g.ini(), []byte(ini), 0o600)
}

// lfsSettings are the [server] lines that turn Gitea's LFS server on
// (keeping objects under dir) or off.
func lfsSettings(dir string, on bool) string {
	if !on {
		return "LFS_START_SERVER = false"
	}
	// Any 32 bytes, base64url: the tests need no secrecy, only a stable value.
	return "LFS_START_SERVER = true\nLFS_JWT_SECRET = ZmVkZXJhdGUtdGVzdC1sZnMtand0LXNlY3JldC0zMmI\n\n[lfs]\nPATH = " + dir + "/lfs"
}

func (g *Gitea) ini() string { return filepath.Join(g.dir, "app.ini") }

// giteaOptions finds the options directory of the Gitea module source,
// downloading the module through the Go proxy when it is not cached.
func giteaOptions() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", "code.gitea.io/gitea@"+GiteaVersion)
	cmd.Dir = os.TempDir() // outside this module: leave go.mod and go.sum alone
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download code.gitea.io/gitea@%s: %w", GiteaVersion, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download code.gitea.io/gitea@%s: no directory (%s)", GiteaVersion, info.Error)
	}
	return filepath.Join(info.Dir, "options"), nil
}

// env is Gitea's environment: none of the test's git or federate
// settings (GIT_CONFIG_GLOBAL would make Gitea write into the test's
// config), and a HOME of its own.
func (g *Gitea) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GIT_") || strings.HasPrefix(k, "FEDERATE_") || strings.HasPrefix(k, "GITEA_") || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+g.dir, "GITEA_WORK_DIR="+g.dir)
}

// gitea runs one Gitea subcommand to completion.
func (g *Gitea) gitea(t testing.TB, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.bin, append([]string{"--config", g.ini(), "--work-path", g.dir}, args...)...)
	cmd.Dir = g.dir
	cmd.Env = g.env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gitea %s: %v\n%s", args[0], err, out)
	}
}

// start runs `gitea web` on a port from port and waits until it answers
// as this server. Another process can take the port between its choice
// and Gitea's bind; Gitea then logs that it failed to start and waits
// for ever rather than exit, so start reads its log and tries again on
// another port.
func (g *Gitea) start(t testing.TB, lfs bool, port func() (int, error)) {
	t.Helper()
	g.stop = func() {}
	t.Cleanup(func() { g.stop() })
	onFreePort(t, port, func(p int) error {
		g.URL = "http://127.0.0.1:" + strconv.Itoa(p)
		if err := g.writeIni(p, lfs); err != nil {
			return err
		}
		return g.run()
	})
}

// run starts `gitea web` and waits until it answers, exits, or says its
// port was taken (then it is stopped).
func (g *Gitea) run() error {
	logs := []string{filepath.Join(g.dir, "web.log"), filepath.Join(g.dir, "log", "gitea.log")}
	os.Remove(logs[1]) // only this run's lines
	logf, err := os.Create(logs[0])
	if err != nil {
		return err
	}
	g.cmd = exec.Command(g.bin, "--config", g.ini(), "--work-path", g.dir, "web")
	g.cmd.Dir = g.dir
	g.cmd.Env = g.env()
	g.cmd.Stdout, g.cmd.Stderr = logf, logf
	if err := g.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- g.cmd.Wait(); logf.Close() }()
	proc := g.cmd.Process
	g.stop = func() {
		proc.Signal(os.Interrupt)
		select {
		case err := <-exited:
			exited <- err // a second stop returns at once
		case <-time.After(15 * time.Second):
			proc.Kill()
			exited <- <-exited
		}
	}
	// A healthy start (migrations included) takes seconds of CPU, which
	// a loaded machine stretches tenfold: the limit is one it never reaches.
	deadline := time.Now().Add(5 * time.Minute)
	for !g.answers() {
		if said := logsSay(logs, "Failed to start server"); said != "" {
			g.stop()
			return portTaken(fmt.Errorf("gitea web on %s did not start: %s\n%s", g.URL, said, logTails(logs)), said)
		}
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("gitea web exited: %v\n%s", err, logTails(logs))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gitea did not answer on %s within 5 minutes:\n%s", g.URL, logTails(logs))
		}
	}
	return nil
}

// answers reports whether this server, and no other on the port, answers:
// the admin's password is its own.
func (g *Gitea) answers() bool {
	req, err := http.NewRequest("GET", g.URL+"/api/v1/user", nil)
	if err != nil {
		return false
	}
	req.SetBasicAuth(g.User, g.Password)
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var u struct{ Login string }
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&u) == nil && u.Login == g.User
}

// logsSay returns the first line of the files that holds text.
func logsSay(files []string, text string) string {
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, text) {
				return strings.TrimSpace(line)
			}
		}
	}
	return ""
}

// logTails is the end of each of the files that has any.
func logTails(files []string) string {
	var out strings.Builder
	for _, f := range files {
		if b, _ := os.ReadFile(f); len(b) > 0 {
			fmt.Fprintf(&out, "%s:\n%s\n", filepath.Base(f), tailOf(b, 4000))
		}
	}
	return out.String()
}

func tailOf(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func (g *Gitea) createToken(t testing.TB) string {
	t.Helper()
	return g.Scoped(t, "federate-test", "all")
}

// Scoped creates another token of the admin, called name, with only the
// given scopes (Gitea's words: "read:repository", "write:organization",
// "all", …), and returns it.
func (g *Gitea) Scoped(t testing.TB, name string, scopes ...string) string {
	t.Helper()
	var tok struct {
		SHA1 string `json:"sha1"`
	}
	req := g.request(t, "POST", "/api/v1/users/"+g.User+"/tokens", map[string]any{"name": name, "scopes": scopes})
	req.SetBasicAuth(g.User, g.Password)
	g.do(t, req, &tok)
	if tok.SHA1 == "" {
		t.Fatal("gitea returned no token")
	}
	return tok.SHA1
}

func (g *Gitea) request(t testing.TB, method, path string, body any) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, g.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return req
}

func (g *Gitea) do(t testing.TB, req *http.Request, out any) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("gitea %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("gitea %s %s: %s\n%s", req.Method, req.URL.Path, resp.Status, b)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("gitea %s %s: %v", req.Method, req.URL.Path, err)
		}
	}
}

// API calls the Gitea API as the admin with the token and decodes the
// JSON answer into out (when not nil); any status but 2xx fails the test.
func (g *Gitea) API(t testing.TB, method, path string, body, out any) {
	t.Helper()
	req := g.request(t, method, path, body)
	req.Header.Set("Authorization", "token "+g.Token)
	g.do(t, req, out)
}

// GiteaRepo is what the API says about a repository.
type GiteaRepo struct {
	Name     string `json:"name"`
	FullName string `json:"full_name"`
	CloneURL string `json:"clone_url"`
	HTMLURL  string `json:"html_url"`
}

// CreateRepo creates an empty repository of the admin user.
func (g *Gitea) CreateRepo(t testing.TB, name string) GiteaRepo {
	t.Helper()
	var r GiteaRepo
	g.API(t, "POST", "/api/v1/user/repos", map[string]any{"name": name, "auto_init": false, "private": false}, &r)
	return r
}

// AddWebhook adds a Gitea-type push webhook to the admin's repository
// name, delivering JSON to url signed with secret.
func (g *Gitea) AddWebhook(t testing.TB, name, url, secret string) {
	t.Helper()
	g.API(t, "POST", "/api/v1/repos/"+g.User+"/"+name+"/hooks", map[string]any{
		"type":   "gitea",
		"active": true,
		"events": []string{"push"},
		"config": map[string]string{"url": url, "content_type": "json", "secret": secret},
	}, nil)
}

// GitEnv is the environment a git command needs to push to this Gitea
// as the admin: the token travels in an http.extraHeader set through
// GIT_CONFIG_* variables, never in a URL or argv.
func (g *Gitea) GitEnv() []string {
	return []string{
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=http.extraHeader",
		"GIT_CONFIG_VALUE_0=Authorization: Basic " + BasicAuthHeader(g.User, g.Token),
	}
}

// FlushQueues waits until Gitea has processed what its queues hold, such
// as the repository updates a push triggers (its "updated_at" moves only
// then).
func (g *Gitea) FlushQueues(t testing.TB) {
	t.Helper()
	g.gitea(t, "manager", "flush-queues")
}
