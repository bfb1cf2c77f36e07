package helper

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitserve"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// Checks taken from git's own smart-HTTP test scripts, which
// scripts/gitsuite runs through federate:: (docs/compat.md): what they
// check of git holds through federate, whichever way it pushes.

// noReport is the answer of t5541's "report error server does not
// provide ref status" server (git's t/lib-httpd/error-no-report.sh):
// "unpack ok", a progress line, and no status for any ref.
const noReport = "0013\x01000eunpack ok\n0015\x02skipping report\n0009\x010000" + "0000"

// noReportServer serves git http-backend for repository app.git, except
// that a push is answered with noReport; it returns the repository's URL.
func noReportServer(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	repo := filepath.Join(root, "app.git")
	gittest.Git(t, "", "init", "-q", "--bare", "-b", "main", repo)
	gittest.Git(t, repo, "config", "http.receivepack", "true")
	backend, err := gitserve.Backend(context.Background(), "", root)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-git-receive-pack-result")
			_, _ = io.WriteString(w, noReport)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/app.git"
}

// TestGitCompatServerWithoutReport is t5541's "report error server does
// not provide ref status": a push the server does not report on fails
// as with git, "remote failed to report status" on the ref and exit 1,
// through git's transport and through the direct client (a token for
// the host).
func TestGitCompatServerWithoutReport(t *testing.T) {
	gittest.Isolate(t)
	url := noReportServer(t)
	work := gittest.NewWorkRepo(t)
	want := "To " + url + "\n!\tHEAD:refs/tags/will-fail\t[remote failure] (remote failed to report status)\nDone\n"
	plain, err := gittest.GitErr(work, nil, "push", "--porcelain", url, "HEAD:refs/tags/will-fail")
	if err == nil || plain+"\n" != want {
		t.Fatalf("plain git (the reference): err=%v, output %q, want %q", err, plain, want)
	}
	for _, way := range []struct{ name, token string }{{"git's transport", ""}, {"direct client", "tok"}} {
		t.Run(way.name, func(t *testing.T) {
			t.Setenv(keystore.EnvName(strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/app.git")), way.token)
			out, err := gittest.GitErr(work, nil, "push", "--porcelain", "federate::"+url, "HEAD:refs/tags/will-fail")
			if err == nil {
				t.Fatalf("push that the server did not report on succeeded:\n%s", out)
			}
			if got := strings.ReplaceAll(out, "federate::", "") + "\n"; got != want {
				t.Errorf("porcelain output\n%q\nwant, as git's,\n%q", got, want)
			}
			if !strings.Contains(err.Error(), "remote: skipping report") {
				t.Errorf("the server's progress line is not shown: %v", err)
			}
		})
	}
}

// TestGitCompatRejectedUpdatePrintsStatus is t5541's "rejected update
// prints status": a ref the server's update hook declines shows git's
// lines, word for word but for the name federate:: and the padding of
// "remote:" lines (the test strips it too), through git's transport and
// through the direct client.
func TestGitCompatRejectedUpdatePrintsStatus(t *testing.T) {
	srv, url, work := compatServer(t)
	hook := filepath.Join(srv.Path("app.git"), "hooks", "update")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := "remote: error: hook declined to update refs/heads/main\n" +
		"To " + url + "\n ! [remote rejected] main -> main (hook declined)\n" +
		"error: failed to push some refs to '" + url + "'\n"
	if got := rejectedPush(t, work, url); got != want {
		t.Fatalf("plain git (the reference) printed\n%s\nwant\n%s", got, want)
	}
	for _, way := range []struct{ name, token string }{{"git's transport", ""}, {"direct client", "tok"}} {
		t.Run(way.name, func(t *testing.T) {
			t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), way.token)
			if got := rejectedPush(t, work, "federate::"+url); strings.ReplaceAll(got, "federate::", "") != want {
				t.Errorf("printed\n%s\nwant, as git,\n%s", got, want)
			}
		})
	}
}

// compatServer is a server without auth (a token sent up front is
// ignored) with an empty repository app.git, and a work repository.
func compatServer(t *testing.T) (srv *gittest.Server, url, work string) {
	t.Helper()
	gittest.Isolate(t)
	srv = gittest.NewServer(t, gittest.Auth{})
	url = srv.InitBare(t, "app.git")
	return srv, url, gittest.NewWorkRepo(t)
}

// rejectedPush pushes main to url, which must refuse it, and returns
// git's stderr with the trailing spaces of "remote:" lines removed.
func rejectedPush(t *testing.T, work, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "push", url, "main")
	cmd.Dir = work
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("push to %s succeeded despite the hook", url)
	}
	lines := strings.SplitAfter(stderr.String(), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "remote: ") {
			lines[i] = strings.TrimRight(l, " \n") + "\n"
		}
	}
	return strings.Join(lines, "")
}
