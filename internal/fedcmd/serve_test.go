package fedcmd

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// chanSyncer reports every sync on a channel.
type chanSyncer chan string

func (c chanSyncer) Sync(_ context.Context, name string) error { c <- name; return nil }

func waitSync(t *testing.T, c chanSyncer, within time.Duration) string {
	t.Helper()
	select {
	case n := <-c:
		return n
	case <-time.After(within):
		t.Fatalf("no sync within %s", within)
		return ""
	}
}

// lockedBuffer is a log sink the server and the test can share; each
// write is signalled on wrote.
type lockedBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func newLog() *lockedBuffer { return &lockedBuffer{wrote: make(chan struct{}, 1)} }

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case l.wrote <- struct{}{}:
	default:
	}
	return l.b.Write(p)
}

// waitFor waits until the log contains s, for at most within.
func (l *lockedBuffer) waitFor(t *testing.T, s string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for !strings.Contains(l.String(), s) {
		select {
		case <-l.wrote:
		case <-deadline:
			t.Fatalf("log has no %q within %s:\n%s", s, within, l.String())
		}
	}
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs runServe in the background on a free port and returns
// its base URL; the server stops, and is waited for, when the test ends.
func startServe(t *testing.T, opts serveOptions) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	opts.Listen = "127.0.0.1:0"
	opts.Ready = func(a net.Addr) { addr <- a }
	if opts.Jobs == 0 {
		opts.Jobs = 2
	}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a.String()
	case err := <-done:
		done <- err
		t.Fatalf("serve did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

func TestServeRefusesToStartWithoutSecret(t *testing.T) {
	var errOut bytes.Buffer
	err := runServe(context.Background(), serveOptions{IO: IO{Err: &errOut}, Listen: "127.0.0.1:0", Jobs: 1,
		Getenv: func(string) string { return "" }, Syncer: make(chanSyncer)})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != ExitUsage || !strings.Contains(err.Error(), "--secret-file") {
		t.Fatalf("got %v, want a usage error naming --secret-file", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	err = runServe(context.Background(), serveOptions{IO: IO{Err: &errOut}, Listen: "127.0.0.1:0", Jobs: 1, SecretFile: empty, Syncer: make(chanSyncer)})
	if !errors.As(err, &ee) || ee.Code != ExitUsage || !strings.Contains(err.Error(), "is empty") {
		t.Fatalf("got %v, want a usage error for an empty secret file", err)
	}
}

func TestServeCommandFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	code := exitCode(NewAppWith(IO{Out: &out, Err: &errOut}, serveCommand).RunContext(context.Background(),
		[]string{"git-federate", "serve"}), &errOut)
	if code != ExitUsage || !strings.Contains(errOut.String(), "listen") {
		t.Fatalf("serve without --listen: exit %d, %q", code, errOut.String())
	}
}

// NewAppWith is NewApp with only the given commands, so this test does
// not depend on the lead registering serve in app.go.
func NewAppWith(stdio IO, cmds ...func(IO) *cli.Command) *cli.App {
	app := NewApp(stdio)
	app.Commands = nil
	for _, mk := range cmds {
		app.Commands = append(app.Commands, mk(stdio))
	}
	return app
}

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// TestServeReadsGitConfig runs the receiver as the command does, with
// federations defined in (isolated) global git config and the secret
// from the environment.
func TestServeReadsGitConfig(t *testing.T) {
	gittest.Isolate(t)
	gittest.Git(t, "", "config", "--global", "federation.linkis.origin", "https://github.com/apache/linkis.git")
	gittest.Git(t, "", "config", "--global", "federation.linkis.mirror", "https://gitee.com/WeBankFinTech/linkis.git")
	syncs := make(chanSyncer, 10)
	logs := newLog()
	const secret = "env-secret-value"
	base := startServe(t, serveOptions{IO: IO{Err: logs}, Syncer: syncs,
		Getenv: func(k string) string {
			if k == SecretEnv {
				return secret + "\n"
			}
			return ""
		}})

	body := `{"repository":{"clone_url":"https://gitee.com/webankfintech/linkis.git"}}`
	req, _ := http.NewRequest("POST", base+"/webhook", strings.NewReader(body))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", sign(secret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("got %s %q", resp.Status, answer)
	}
	if got := waitSync(t, syncs, 10*time.Second); got != "linkis" {
		t.Fatalf("synced %q", got)
	}
	// A federation added while the receiver runs is seen at once.
	gittest.Git(t, "", "config", "--global", "federation.new.origin", "https://example.com/new.git")
	body = `{"repository":{"clone_url":"https://example.com/new"}}`
	req, _ = http.NewRequest("POST", base+"/webhook", strings.NewReader(body))
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	req.Header.Set("X-Gitlab-Token", secret)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := waitSync(t, syncs, 10*time.Second); got != "new" {
		t.Fatalf("synced %q", got)
	}
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 404} {
		resp, err := http.Get(base + path)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("GET %s: %v %v; want %d", path, resp, err, want)
		}
		resp.Body.Close()
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatalf("log has the secret:\n%s", logs.String())
	}
}

// TestServeGiteaPushTriggersSync is the whole story with a real forge:
// a Gitea repository whose webhook points at the receiver; a git push
// to it makes the receiver sync the federation whose origin it is.
func TestServeGiteaPushTriggersSync(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.StartGitea(t)
	origin := g.CreateRepo(t, "tools")
	other := g.CreateRepo(t, "other")
	gittest.Git(t, "", "config", "--global", "federation.tools.origin", origin.CloneURL)
	gittest.Git(t, "", "config", "--global", "federation.tools.mirror", "https://mirror.example.com/tools.git")
	gittest.Git(t, "", "config", "--global", "federation.unrelated.origin", "https://example.com/unrelated.git")

	secretFile := filepath.Join(t.TempDir(), "secret")
	const secret = "gitea-webhook-secret"
	os.WriteFile(secretFile, []byte(secret+"\n"), 0o600)
	syncs := make(chanSyncer, 10)
	logs := newLog()
	base := startServe(t, serveOptions{IO: IO{Err: logs}, SecretFile: secretFile, Syncer: syncs})
	g.AddWebhook(t, "tools", base+"/webhook", secret)
	g.AddWebhook(t, "other", base+"/webhook", "a-wrong-secret")

	work := gittest.NewWorkRepo(t)
	if out, err := gittest.GitCombined(work, g.GitEnv(), "push", origin.CloneURL, "main"); err != nil {
		t.Fatalf("push to gitea: %v\n%s", err, out)
	}
	if got := waitSync(t, syncs, 60*time.Second); got != "tools" {
		t.Fatalf("synced %q, want tools", got)
	}
	// A push to a repository whose hook has the wrong secret is refused.
	if out, err := gittest.GitCombined(work, g.GitEnv(), "push", other.CloneURL, "main"); err != nil {
		t.Fatalf("push to gitea: %v\n%s", err, out)
	}
	logs.waitFor(t, "bad X-Gitea-Signature", 60*time.Second)
	select {
	case n := <-syncs:
		t.Fatalf("unexpected sync of %s", n)
	default:
	}
}
