// Package leaktest runs the real binaries against real servers and a real
// keyring and fails when a token, or its base64 in a Basic header, shows
// up anywhere a user or another process could read it.
package leaktest

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// bus is the private Secret Service of the keyring tests, started once:
// its address must be in place before anything talks to D-Bus.
var bus struct {
	b   *gittest.Bus
	err error
}

func TestMain(m *testing.M) {
	bus.b, bus.err = gittest.StartSecretService()
	code := gittest.Main(m)
	if bus.b != nil {
		bus.b.Stop()
	}
	os.Exit(code)
}

// token is distinctive, so any copy of it is found.
const token = "tok-LEAK-5f3a9c1e7b2d4068aa11"

// forms are the ways token could leak: itself, and base64 of user:token
// for each username a forge is sent, and of the token alone.
func forms(tok string) []string {
	out := []string{tok, base64.StdEncoding.EncodeToString([]byte(tok))}
	for _, u := range []string{keystore.DefaultUsername, "oauth2", "alice", ""} {
		out = append(out, gittest.BasicAuthHeader(u, tok))
	}
	return out
}

// assertClean fails when s holds token in any form.
func assertClean(t *testing.T, where, s string, tok string) {
	t.Helper()
	for _, f := range forms(tok) {
		if strings.Contains(s, f) {
			t.Errorf("token leaked into %s (as %q)", where, f)
		}
	}
}

// fixture is a server requiring token and a federation "fed" on it.
type fixture struct {
	srv  *gittest.Server
	url  string // origin URL
	home string
}

func newFixture(t *testing.T, auth gittest.Auth) fixture {
	home := gittest.Isolate(t)
	if auth.Token == "" {
		auth.Token = token
	}
	s := gittest.NewServer(t, auth)
	url := s.InitBare(t, "app.git")
	work := gittest.NewWorkRepo(t)
	gittest.Seed(t, work, s.Path("app.git"))
	gittest.Git(t, "", "config", "--global", "federation.fed.origin", url)
	return fixture{srv: s, url: url, home: home}
}

// hostVar is the FEDERATE_TOKEN_<HOST> variable of the fixture's server.
func (f fixture) hostVar() string {
	return keystore.EnvName(strings.TrimPrefix(f.srv.URL, "http://"))
}

// run runs a command with stdin and extra env, bounded by two minutes,
// and returns its combined output.
func run(t *testing.T, dir, stdin string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// procWatch polls every process's command line while a command runs.
type procWatch struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	seen map[string]bool // command lines seen
	hits []string
}

func watchProc(tok string) *procWatch {
	w := &procWatch{stop: make(chan struct{}), done: make(chan struct{}), seen: map[string]bool{}}
	go func() {
		defer close(w.done)
		for {
			w.scan(tok)
			select {
			case <-w.stop:
				w.scan(tok)
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return w
}

func (w *procWatch) scan(tok string) {
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			continue
		}
		line := strings.ReplaceAll(string(b), "\x00", " ")
		w.mu.Lock()
		if !w.seen[line] {
			w.seen[line] = true
			for _, f := range forms(tok) {
				if strings.Contains(line, f) {
					w.hits = append(w.hits, line)
				}
			}
		}
		w.mu.Unlock()
	}
}

// finish stops the watch and fails on any hit; it also checks that the
// watch saw the processes it was meant to (want), so a silent poller
// cannot pass.
func (w *procWatch) finish(t *testing.T, want ...string) {
	t.Helper()
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, h := range w.hits {
		t.Errorf("token in a command line: %s", h)
	}
	for _, s := range want {
		found := false
		for line := range w.seen {
			if strings.Contains(line, s) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("the /proc watch never saw a process matching %q", s)
		}
	}
}

func fileText(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func withKeyring(t *testing.T) {
	t.Helper()
	if bus.err != nil {
		t.Fatalf("no Secret Service for the keyring tests: %v", bus.err)
	}
	for _, kv := range bus.b.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("FEDERATE_KEYRING", "")
}

func keyringLookup(t *testing.T, hostURL string) string {
	t.Helper()
	out, _ := run(t, "", "", nil, "secret-tool", "lookup", "service", keystore.KeyringService, "username", hostURL)
	return out
}
