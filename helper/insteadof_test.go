package helper

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// maxHelpers bounds the helpers a routed test may start: a clone, a
// fetch and a push through federate:: start one each.
const maxHelpers = 6

// guardHelpers puts first on PATH a git-remote-federate that counts its
// starts and refuses to run the real one past maxHelpers, so a helper
// that recurses fails the test quickly instead of filling the machine.
// It returns the number of starts so far.
func guardHelpers(t *testing.T) func() int {
	t.Helper()
	dir := t.TempDir()
	count := filepath.Join(dir, "starts")
	script := "#!/bin/sh\necho x >> '" + count + "'\n" +
		"if [ $(wc -l < '" + count + "') -gt " + itoa(maxHelpers) + " ]; then echo 'test guard: too many git-remote-federate processes' >&2; exit 1; fi\n" +
		"exec '" + filepath.Join(gittest.BinDir(t), "git-remote-federate") + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "git-remote-federate"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return func() int {
		b, _ := os.ReadFile(count)
		return bytes.Count(b, []byte("\n"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// v0Server is an http server that speaks only protocol v0 (it ignores
// the client's Git-Protocol header, as older servers do), with a token.
func v0Server(t *testing.T) (*gittest.Server, string) {
	t.Helper()
	srv := gittest.NewServer(t, gittest.Auth{Token: "v0-token"})
	srv.AddFault(gittest.Fault{Prefix: "/", Hook: func(r *http.Request) { r.Header.Del("Git-Protocol") }})
	url := srv.InitBare(t, "app.git")
	t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), "v0-token")
	return srv, url
}

// TestInsteadOfRoutesHostThroughFederate routes every URL of a server
// through federate:: with url.<base>.insteadOf, as a user sends a whole
// host through federations, for servers the helper reaches through
// child gits (protocol v0 over http, file://): clone, push and fetch
// work as an ad-hoc federation of the origin alone, and the helper's
// own children reach the plain URL instead of starting helpers again.
func TestInsteadOfRoutesHostThroughFederate(t *testing.T) {
	for _, tr := range []string{"http-v0", "file"} {
		t.Run(tr, func(t *testing.T) {
			gittest.Isolate(t)
			starts := guardHelpers(t)
			work := gittest.NewWorkRepo(t)
			var url, base, path string
			if tr == "file" {
				root := t.TempDir()
				path = filepath.Join(root, "app.git")
				gittest.Git(t, "", "init", "-q", "--bare", "-b", "main", path)
				url, base = "file://"+path, "file://"+root+"/"
			} else {
				srv, u := v0Server(t)
				url, base, path = u, srv.URL+"/", srv.Path("app.git")
			}
			gittest.Seed(t, work, path)
			gittest.Git(t, "", "config", "--global", "url.federate::"+base+".insteadOf", base)

			dst := filepath.Join(t.TempDir(), "clone")
			if out, err := gittest.GitCombined("", nil, "clone", url, dst); err != nil {
				t.Fatalf("clone through the rewrite: %v\n%s", err, out)
			}
			if got := gittest.Git(t, dst, "rev-parse", "HEAD"); got != gittest.RefOf(t, path, "main") {
				t.Errorf("clone HEAD = %s, want origin's main", got)
			}
			next := gittest.Commit(t, dst, "b.txt", "b\n", "second")
			if out, err := gittest.GitCombined(dst, nil, "push", "origin", "main"); err != nil {
				t.Fatalf("push through the rewrite: %v\n%s", err, out)
			}
			if got := gittest.RefOf(t, path, "main"); got != next {
				t.Errorf("origin's main = %s after the push, want %s", got, next)
			}
			third := gittest.Commit(t, work, "c.txt", "c\n", "third")
			gittest.Git(t, work, "push", "-q", path, "main:side")
			if out, err := gittest.GitCombined(dst, nil, "fetch", "origin"); err != nil {
				t.Fatalf("fetch through the rewrite: %v\n%s", err, out)
			}
			if got := gittest.RefOf(t, dst, "refs/remotes/origin/side"); got != third {
				t.Errorf("fetched side = %s, want %s", got, third)
			}
			if n := starts(); n != 3 {
				t.Errorf("%d helpers started for a clone, a push and a fetch, want 3", n)
			}
		})
	}
}

// TestHelperUnderItselfStops checks that a helper asked for a server
// that a helper above it already serves stops in one line.
func TestHelperUnderItselfStops(t *testing.T) {
	gittest.Isolate(t)
	url := "https://git.example.com/app.git"
	t.Setenv(ServingEnv, "https://git.example.com/other\nhttps://git.example.com/app")
	var stderr bytes.Buffer
	code := Main(context.Background(), []string{"origin", url}, strings.NewReader("capabilities\n\n"), &bytes.Buffer{}, &stderr)
	got := strings.TrimSpace(stderr.String())
	if code != 1 || strings.Count(got, "\n") != 0 || !strings.Contains(got, "already being served") {
		t.Fatalf("exit %d, stderr %q; want exit 1 and one line saying the server is already served", code, got)
	}
}
