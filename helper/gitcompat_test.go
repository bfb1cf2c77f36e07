package helper

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
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

// reproServer is a server with one repository "app.git" that takes
// token for user (any user when user is ""), and a work repository.
func reproServer(t *testing.T, user, token string) (srv *gittest.Server, url, work string) {
	t.Helper()
	gittest.Isolate(t)
	srv = gittest.NewServer(t, gittest.Auth{Token: token, Username: user})
	url = srv.InitBare(t, "app.git")
	work = gittest.NewWorkRepo(t)
	return srv, url, work
}

// reproToken puts token in the environment as federate's token for srv.
func reproToken(t *testing.T, srv *gittest.Server, token string) {
	t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), token)
}

// t5541 "push --progress shows progress to non-tty": git shows
// "Writing objects" when asked for progress, whichever way federate
// reaches the server.
func TestGitCompatPushProgressShowsWritingObjects(t *testing.T) {
	srv, url, work := reproServer(t, "", "tok")
	reproToken(t, srv, "tok")
	out, err := gittest.GitCombined(work, nil, "push", "--progress", "federate::"+url, "main")
	if err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Writing objects") {
		t.Errorf("push --progress shows no \"Writing objects\" (git does):\n%s", out)
	}
}

// t5551 "http auth remembers successful credentials": a password typed
// at git's prompt is saved by the credential.helper of the repository's
// config, so that the next command does not ask again.
func TestGitCompatPromptedPasswordIsStoredByRepoHelper(t *testing.T) {
	_, url, work := reproServer(t, "user@host", "pass@host")
	askpass := filepath.Join(t.TempDir(), "askpass")
	script := "#!/bin/sh\ncase \"$1\" in\n*Username*) echo user@host ;;\n*) echo pass@host ;;\nesac\n"
	if err := os.WriteFile(askpass, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "credentials")
	gittest.Git(t, work, "config", "credential.helper", "store --file="+store)
	out, err := gittest.GitCombined(work, []string{"GIT_ASKPASS=" + askpass}, "ls-remote", "federate::"+url)
	if err != nil {
		t.Fatalf("ls-remote: %v\n%s", err, out)
	}
	saved, _ := os.ReadFile(store)
	if !strings.Contains(string(saved), "pass%40host@") {
		t.Errorf("the password typed at the prompt was not stored by the repository's credential.helper (git stores it); store holds %q", saved)
	}
}

// The direct push client stays on for a server that git reaches through
// federate because of url.<federate::base>.insteadOf: that rewrite is
// the one that brought git here, and git's transport as federate runs
// it applies none. The direct client sends the token with its first
// request; git's transport sends it only after a 401.
func TestGitCompatInsteadOfToFederateKeepsDirectPush(t *testing.T) {
	srv, url, work := reproServer(t, "", "tok")
	reproToken(t, srv, "tok")
	gittest.Git(t, "", "config", "--global", "url.federate::"+srv.URL+"/.insteadOf", srv.URL+"/")
	out, err := gittest.GitCombined(work, nil, "push", url, "main")
	if err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	for _, r := range srv.Requests() {
		if r.Push() {
			if r.Authorization == "" {
				t.Errorf("first receive-pack request %s %s without the token: the push went through git's transport, not the direct client", r.Method, r.Path)
			}
			return
		}
	}
	t.Fatal("no receive-pack request")
}

// t5551 "custom http headers" (its first fetch, refused with 403): a
// refusal of a fetch, without any token of federate's, says nothing
// about a token's write scope.
func TestGitCompatFetchRefusedSaysNothingOfWriteScope(t *testing.T) {
	srv, url, _ := reproServer(t, "", "")
	srv.AddFault(gittest.Fault{Prefix: "/app.git", Status: 403, Body: "forbidden"})
	out, err := gittest.GitCombined("", nil, "ls-remote", "federate::"+url)
	if err == nil {
		t.Fatalf("ls-remote of a refusing server succeeded:\n%s", out)
	}
	if strings.Contains(out, "cannot write") {
		t.Errorf("a refused fetch talks of write scope:\n%s", out)
	}
}

// t5551 "clone does not detect username:password when it is
// https://username@domain:port/": a URL that names a user makes git ask
// for that user's password, and federate's token for the host (another
// account's) is not sent in its place: the clone asks what plain git
// asks, and succeeds.
func TestGitCompatURLNamingAUserPromptsForThatUser(t *testing.T) {
	srv, url, _ := reproServer(t, "user@host", "pass@host")
	reproToken(t, srv, "tok")
	userURL := strings.Replace(url, "http://", "http://user%40host@", 1)
	dir := t.TempDir()
	askpass := filepath.Join(dir, "askpass")
	script := "#!/bin/sh\necho \"$1\" >>\"$ASKED\"\ncase \"$1\" in\n*Username*) echo user@host ;;\n*) echo pass@host ;;\nesac\n"
	if err := os.WriteFile(askpass, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	clone := func(name, url string) string {
		t.Helper()
		asked := filepath.Join(dir, name+".asked")
		out, err := gittest.GitCombined(dir, []string{"GIT_ASKPASS=" + askpass, "ASKED=" + asked},
			"-c", "transfer.credentialsInUrl=warn", "clone", "--bare", url, name)
		if err != nil {
			t.Fatalf("clone %s: %v\n%s", url, err, out)
		}
		if strings.Contains(out, "plaintext credentials") {
			t.Errorf("clone %s warns of a password in the URL, which has none:\n%s", url, out)
		}
		b, _ := os.ReadFile(asked)
		return string(b)
	}
	plain := clone("plain", userURL)
	if !strings.Contains(plain, "Password for 'http://user%40host@") {
		t.Fatalf("plain git (the reference) asked %q", plain)
	}
	if got := clone("routed", "federate::"+userURL); got != plain {
		t.Errorf("through federate:: the prompts were %q, plain git's %q", got, plain)
	}
}

// t5541 "push (chunked)": past http.postBuffer (here 4: every push) git
// sends the push chunked and says so at -v -v; so does the direct client
// (a token for the host), and the push lands.
func TestGitCompatPushChunkedPastPostBuffer(t *testing.T) {
	srv, url, work := compatServer(t)
	gittest.Git(t, work, "config", "http.postBuffer", "4")
	for _, way := range []struct{ name, url, token string }{{"plain git", url, ""}, {"direct client", "federate::" + url, "tok"}} {
		t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), way.token)
		head := gittest.Commit(t, work, "path3", way.name, "commit")
		out, err := gittest.GitCombined(work, nil, "push", "-v", "-v", way.url, "main")
		if err != nil {
			t.Fatalf("%s: push: %v\n%s", way.name, err, out)
		}
		if !strings.Contains(out, "POST git-receive-pack (chunked)\n") {
			t.Errorf("%s: push -v -v does not say \"POST git-receive-pack (chunked)\":\n%s", way.name, out)
		}
		if got := gittest.Git(t, srv.Path("app.git"), "rev-parse", "main"); got != head {
			t.Errorf("%s: the server's main is %s, want %s", way.name, got, head)
		}
	}
	direct := false
	for _, r := range srv.Requests() {
		direct = direct || (r.Push() && r.Authorization != "")
	}
	if !direct {
		t.Error("no request with the token: the push went through git's transport, not the direct client")
	}
}

// t5551 "GIT_TRACE_REDACT=0 disables cookie redaction": with redaction
// off, git's curl trace shows the cookies it sends, through federate::
// to a server it holds no token for as with plain git.
func TestGitCompatTraceRedactOffShowsCookies(t *testing.T) {
	_, url, _ := compatServer(t)
	dir := t.TempDir()
	cookies := filepath.Join(dir, "cookies")
	if err := os.WriteFile(cookies, []byte("Set-Cookie: Foo=1\nSet-Cookie: Bar=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, u := range []string{url, "federate::" + url} {
		out, err := gittest.GitCombined(dir, []string{"GIT_TRACE_REDACT=0", "GIT_TRACE_CURL=true"},
			"-c", "http.cookieFile="+cookies, "clone", u, "clone"+strconv.Itoa(i))
		if err != nil {
			t.Fatalf("clone %s: %v\n%s", u, err, out)
		}
		for _, c := range []string{"Foo=1", "Bar=2"} {
			if !regexp.MustCompile(`(?i)Cookie:.*` + c).MatchString(out) {
				t.Errorf("clone %s: the trace shows no cookie %s (git shows it with GIT_TRACE_REDACT=0)", u, c)
			}
		}
	}
}

// A token of federate's never shows in git's trace, even with
// GIT_TRACE_REDACT=0 and the trace going to a file federate does not
// clean: git's redaction stays on for a child that may send it.
func TestTokenNeverInTraceWithRedactOff(t *testing.T) {
	const token = "s3cret-tok-9876"
	srv, url, _ := reproServer(t, "", token)
	reproToken(t, srv, token)
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace")
	out, err := gittest.GitCombined(dir, []string{"GIT_TRACE_REDACT=0", "GIT_TRACE_CURL=" + trace}, "clone", "federate::"+url, "c")
	if err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(trace)
	basic := base64.StdEncoding.EncodeToString([]byte(keystore.DefaultUsername + ":" + token))
	if strings.Contains(string(b), token) || strings.Contains(string(b), basic) {
		t.Error("the token is in git's trace")
	}
	if !strings.Contains(string(b), "Authorization: Basic <redacted>") {
		t.Errorf("no redacted Authorization header in the trace: did the clone send the token?\n%s", b)
	}
}

// t5812 "fetch smart http (disabled)" and "push smart http (disabled)":
// with protocol.http.allow = never, a fetch and a push through federate
// fail as plain git's do, with git's exit status and its "transport
// 'http' not allowed", and the server is asked nothing, through git's
// transport and through the direct client (a token for the host).
func TestGitCompatForbiddenProtocolRefusedAsGit(t *testing.T) {
	const token = "compat-policy-token-0123456789"
	srv, url, work := reproServer(t, "", token)
	gittest.Git(t, "", "config", "--global", "protocol.http.allow", "never")
	// git's line; federate's names the server first ("fatal: federate:
	// origin <url>: transport 'http' not allowed (…)" for a push).
	const refusal = "transport 'http' not allowed"
	for _, way := range []struct{ name, token string }{{"git's transport", ""}, {"direct client", token}} {
		t.Run(way.name, func(t *testing.T) {
			reproToken(t, srv, way.token)
			for _, args := range [][]string{{"fetch", url}, {"push", url, "main"}} {
				plain, plainErr := gittest.GitCombined(work, nil, args...)
				if code := exitCode(plainErr); code != 128 || !strings.Contains(plain, "fatal: "+refusal) {
					t.Fatalf("plain git %s (the reference): exit %d\n%s", args[0], code, plain)
				}
				before := len(srv.Requests())
				routed := append([]string{args[0], "federate::" + url}, args[2:]...)
				out, err := gittest.GitCombined(work, nil, routed...)
				if code := exitCode(err); code != exitCode(plainErr) {
					t.Errorf("%s through federate: exit %d, plain git's %d\n%s", args[0], code, exitCode(plainErr), out)
				}
				if !strings.Contains(out, refusal) || strings.Contains(out, "unreachable") || strings.Contains(out, token) {
					t.Errorf("%s through federate: want git's refusal, not \"unreachable\", no token:\n%s", args[0], out)
				}
				if got := srv.Requests()[before:]; len(got) != 0 {
					t.Errorf("%s through federate asked the server %v", args[0], got)
				}
			}
		})
	}
}

// exitCode is the exit status of a finished git, 0 for none.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return 0
}
