package fedcmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

func hook(t *testing.T, o HookOptions) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	o.IO = IO{Out: &out, Err: &errOut}
	err := runHook(context.Background(), o)
	return out.String() + errOut.String(), err
}

func TestHookUsage(t *testing.T) {
	gittest.Isolate(t)
	for _, c := range []struct {
		o    HookOptions
		want string
	}{
		{HookOptions{Action: "make", All: true}, "add, list or remove"},
		{HookOptions{Action: hookAdd, URL: "https://h.example/webhook"}, "--all"},
		{HookOptions{Action: hookAdd, All: true}, "--url"},
		{HookOptions{Action: hookRemove, Names: []string{"x"}, URL: "ftp://h.example/webhook"}, "http(s) URL"},
		{HookOptions{Action: hookAdd, All: true, URL: "https://u:p@h.example/webhook"}, "without credentials"},
		{HookOptions{Action: hookAdd, All: true, URL: "https://h.example/webhook",
			Deps: TokenDeps{Getenv: func(string) string { return "" }}}, "no webhook secret"},
	} {
		_, err := hook(t, c.o)
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != ExitUsage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want a usage error with %q", c.o, err, c.want)
		}
	}
}

// TestHookGitea is the whole set-up on a real forge: hooks made through
// the API on a repository and on an organisation, idempotent, a push
// delivered to `serve` that syncs the federation, list and remove that
// touch only our hooks, and a token without the scope refused by name.
func TestHookGitea(t *testing.T) {
	gittest.Isolate(t)
	t.Setenv("FEDERATE_KEYRING", "off")
	g := gittest.StartGitea(t)
	host := strings.TrimPrefix(g.URL, "http://")
	t.Setenv(keystore.EnvName(host), g.Token)
	g.API(t, "POST", "/api/v1/orgs", map[string]any{"username": "acme", "visibility": "public"}, nil)
	var lib struct {
		CloneURL string `json:"clone_url"`
	}
	g.API(t, "POST", "/api/v1/orgs/acme/repos", map[string]any{"name": "lib"}, &lib)
	tools := g.CreateRepo(t, "tools")
	gittest.Git(t, "", "config", "--global", "federate."+g.URL+".forge", "gitea")
	gittest.Git(t, "", "config", "--global", "federation.tools.origin", tools.CloneURL)
	gittest.Git(t, "", "config", "--global", "federation.tools.mirror", "https://mirror.example.com/tools.git")
	gittest.Git(t, "", "config", "--global", "federationset.acme.origin", g.URL+"/acme")
	gittest.Git(t, "", "config", "--global", "federationset.acme.mirror", "https://mirror.example.com/acme")

	const secret = "hook-test-secret"
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	syncs := make(chanSyncer, 10)
	base := startServe(t, serveOptions{IO: IO{Err: newLog()}, SecretFile: secretFile, Syncer: syncs})
	url := base + "/webhook"
	g.AddWebhook(t, "tools", "http://127.0.0.1:9/someone-elses", "x")

	add := HookOptions{Action: hookAdd, Names: []string{"tools", "acme"}, URL: url, SecretFile: secretFile}
	dry := add
	dry.DryRun = true
	out, err := hook(t, dry)
	if err != nil || strings.Count(out, "would be added") != 2 {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	countHooks := func(path string) int {
		var hooks []map[string]any
		g.API(t, "GET", path, nil, &hooks)
		return len(hooks)
	}
	if n := countHooks("/api/v1/orgs/acme/hooks"); n != 0 {
		t.Fatalf("--dry-run made %d hooks", n)
	}
	for i, verb := range []string{"added", "updated"} {
		out, err := hook(t, add)
		if err != nil || strings.Count(out, verb+" push webhook") != 2 || !strings.Contains(out, g.URL+"/acme:") {
			t.Fatalf("add #%d: %v\n%s", i+1, err, out)
		}
		if strings.Contains(out, secret) || strings.Contains(out, g.Token) {
			t.Fatalf("output holds a secret:\n%s", out)
		}
	}
	if r, o := countHooks("/api/v1/repos/"+g.User+"/tools/hooks"), countHooks("/api/v1/orgs/acme/hooks"); r != 2 || o != 1 {
		t.Fatalf("after two adds: %d repository hooks (want ours and the other), %d organisation hooks", r, o)
	}

	// A real delivery: pushes reach serve, which syncs what they name.
	work := gittest.NewWorkRepo(t)
	for _, c := range []struct{ url, want string }{{tools.CloneURL, "tools"}, {lib.CloneURL, "acme/lib"}} {
		if out, err := gittest.GitCombined(work, g.GitEnv(), "push", c.url, "main"); err != nil {
			t.Fatalf("push: %v\n%s", err, out)
		}
		if got := waitSync(t, syncs, 60*time.Second); got != c.want {
			t.Fatalf("push to %s synced %q, want %q", c.url, got, c.want)
		}
	}

	out, err = hook(t, HookOptions{Action: hookList, All: true, URL: url})
	if err != nil || strings.Count(out, "(ours)") != 2 || !strings.Contains(out, "someone-elses") ||
		!strings.Contains(out, "gitea does not report them") {
		t.Fatalf("list: %v\n%s", err, out)
	}

	limited := g.Scoped(t, "read-only", "read:repository")
	t.Setenv(keystore.EnvName(host), limited)
	out, err = hook(t, HookOptions{Action: hookAdd, Names: []string{"tools"}, URL: url + "2", SecretFile: secretFile})
	if err == nil || !strings.Contains(out, "write:repository") || !strings.Contains(out, g.URL+"/user/settings/applications") ||
		strings.Contains(out, limited) {
		t.Fatalf("read-only token: %v\n%s", err, out)
	}
	t.Setenv(keystore.EnvName(host), g.Token)

	rm := HookOptions{Action: hookRemove, All: true, URL: url, DryRun: true}
	if out, err := hook(t, rm); err != nil || strings.Count(out, "would remove") != 2 {
		t.Fatalf("remove --dry-run: %v\n%s", err, out)
	}
	rm.DryRun = false
	if out, err := hook(t, rm); err != nil || strings.Count(out, "removed webhook") != 2 {
		t.Fatalf("remove: %v\n%s", err, out)
	}
	if r, o := countHooks("/api/v1/repos/"+g.User+"/tools/hooks"), countHooks("/api/v1/orgs/acme/hooks"); r != 1 || o != 0 {
		t.Fatalf("after remove: %d repository hooks (want the other one kept), %d organisation hooks", r, o)
	}
}
