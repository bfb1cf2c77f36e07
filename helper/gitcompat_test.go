package helper

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

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
