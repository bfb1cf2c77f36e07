package pushtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// The tests of this file run one scenario twice: with plain `git push`
// to origin's own URL, with a credential helper giving its token, and
// through federate:: with origin pushed by this project's own client
// (its token in FEDERATE_TOKEN_<host>, no http.* config). What the user
// sees must be what git shows.

// run is one `git push`: what it wrote on stderr, live, and its exit
// status.
type run struct {
	stderr *gittest.Buffer
	code   int
}

// gitPush runs git with args in the work repository, its stderr going
// to stderr as it is written.
func (f *fed) gitPush(stderr *gittest.Buffer, args ...string) run {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = f.work
	cmd.Stderr = stderr
	err := cmd.Run()
	r := run{stderr: stderr}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		f.t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	f.checkNoSecrets(stderr.String())
	return r
}

// plainPush is `git push <origin URL> args...` with origin's token from
// a credential helper: git's own transport, as without federate.
func (f *fed) plainPush(stderr *gittest.Buffer, args ...string) run {
	helper := "!f() { echo username=x; echo password=origin-token; }; f"
	return f.gitPush(stderr, append([]string{"-c", "credential.helper=", "-c", "credential.helper=" + helper,
		"push", f.origin.URL}, args...)...)
}

// fedPush is `git push fed args...`: origin pushed by federate's client.
func (f *fed) fedPush(stderr *gittest.Buffer, args ...string) run {
	return f.gitPush(stderr, append([]string{"push", "fed"}, args...)...)
}

// wantDirect fails unless origin's last push request came from
// federate's own client.
func (f *fed) wantDirect() {
	f.t.Helper()
	reqs := f.origin.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		// The last push request: a listing may follow it (a push whose
		// answer was cut asks origin what it took).
		if reqs[i].Method == "POST" && strings.Contains(reqs[i].Path, "git-receive-pack") {
			if reqs[i].Authorization == "" {
				f.t.Fatalf("origin's last push request came without the token (git's transport): %+v", reqs[i])
			}
			return
		}
	}
	f.t.Fatal("origin saw no push")
}

// lines are the lines of out (ended by "\n" or "\r") that match re, in
// order.
func lines(out string, re *regexp.Regexp) []string {
	var got []string
	for _, l := range strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if re.MatchString(l) {
			got = append(got, l)
		}
	}
	return got
}

// sameLines fails unless plain git's and federate's lines matching re
// are the same.
func sameLines(t *testing.T, plain, fed run, re *regexp.Regexp) {
	t.Helper()
	p, f := lines(plain.stderr.String(), re), lines(fed.stderr.String(), re)
	if strings.Join(p, "\n") != strings.Join(f, "\n") || len(p) == 0 {
		t.Errorf("lines matching %s differ:\ngit:\n%s\nfederate:\n%s\n--- git's stderr:\n%s\n--- federate's stderr:\n%s",
			re, strings.Join(p, "\n"), strings.Join(f, "\n"), plain.stderr, fed.stderr)
	}
}

func sameCode(t *testing.T, plain, fed run) {
	t.Helper()
	if plain.code != fed.code {
		t.Errorf("exit status: git %d, federate %d\n--- git's stderr:\n%s\n--- federate's stderr:\n%s", plain.code, fed.code, plain.stderr, fed.stderr)
	}
}

// A server that cannot unpack the pack (here: larger than it takes):
// git says "error: remote unpack failed: …", rejects the ref with
// "unpacker error" and exits 1; so does federate.
func TestUnpackFailureAsGitShowsIt(t *testing.T) {
	f := newFed(t)
	mustGit(t, f.origin.Path, "config", "receive.maxInputSize", "10")
	before := f.rev("main")
	f.commit("a.txt", "a")
	plain := f.plainPush(&gittest.Buffer{}, "main")
	fed := f.fedPush(&gittest.Buffer{}, "main")
	f.wantDirect()
	sameCode(t, plain, fed)
	sameLines(t, plain, fed, regexp.MustCompile(`^error: remote unpack failed|^remote: |\[remote rejected\]`))
	if fed.code != 1 {
		t.Errorf("exit status %d, want 1", fed.code)
	}
	f.wantRef("refs/heads/main", before, f.all()...)

	// A mirror that cannot unpack says so in its report, and is queued.
	mustGit(t, f.origin.Path, "config", "--unset", "receive.maxInputSize")
	mustGit(t, f.m1.Path, "config", "receive.maxInputSize", "10")
	out := f.push(true, "fed", "main")
	wantContains(t, out, "federate: mirror "+f.m1.URL+": refs/heads/main rejected: unpacker error: remote unpack failed: ")
	if !strings.Contains(f.pendingFile(), f.m1.URL) {
		t.Errorf("not queued:\n%s", f.pendingFile())
	}
}

// A hook's progress meter ("\r" lines) is shown as git shows it: each
// state on its own "remote: " line, redrawn in place, not split into
// lines of their own or run together.
func TestHookProgressLinesAsGitShowsThem(t *testing.T) {
	f := newFed(t)
	hook(t, f.origin.Path, "pre-receive", `cat >/dev/null
printf 'checking: 1/2\rchecking: 2/2\rchecking: done\n' >&2
printf 'partial ' >&2
printf 'line\n\n' >&2
exit 0
`)
	before := f.rev("main")
	f.commit("a.txt", "a")
	plain := f.plainPush(&gittest.Buffer{}, "main")
	mustGit(t, f.origin.Path, "update-ref", "refs/heads/main", before) // as before the plain push
	fed := f.fedPush(&gittest.Buffer{}, "main")
	f.wantDirect()
	sameCode(t, plain, fed)
	remote := func(r run) string {
		var b strings.Builder
		s := r.stderr.String()
		for i := strings.Index(s, "remote: "); i >= 0; i = strings.Index(s, "remote: ") {
			s = s[i:]
			end := strings.IndexAny(s, "\r\n") + 1
			b.WriteString(s[:end])
			s = s[end:]
		}
		return b.String()
	}
	if p, f := remote(plain), remote(fed); p != f || !strings.Contains(p, "\r") {
		t.Errorf("remote lines differ:\ngit:      %q\nfederate: %q", p, f)
	}
}

// A large push shows git's "Writing objects" meter while the pack goes
// to the server (with --progress, as git's own tests force it): when the
// server starts reading the pack the meter is not done yet, and it ends
// with git's ", done." line, then the "Total" line. With -q, or without
// a terminal and --progress, there is no meter at all, as with git.
func TestUploadProgressAsGitShowsIt(t *testing.T) {
	f := newFed(t)
	big := make([]byte, 12<<20) // more than the sockets hold: the meter must wait for the server
	_, _ = rand.Read(big)
	if err := os.WriteFile(filepath.Join(f.work, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	mustGit(t, f.work, "add", "big.bin")
	mustGit(t, f.work, "commit", "-q", "-m", "big")
	var mu sync.Mutex
	var seen *gittest.Buffer
	var atStart []string
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Hook: func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.ContentLength != 4 { // not git's probe of a large push
			atStart = append(atStart, seen.String())
		}
	}})
	push := func(plain bool, args ...string) run {
		mu.Lock()
		seen = &gittest.Buffer{}
		mu.Unlock()
		if plain {
			r := f.plainPush(seen, args...)
			mustGit(t, f.origin.Path, "update-ref", "refs/heads/main", "main~1")
			return r
		}
		r := f.fedPush(seen, args...)
		f.wantDirect()
		mustGit(t, f.origin.Path, "update-ref", "refs/heads/main", "main~1")
		return r
	}
	plain := push(true, "--progress", "main")
	fed := push(false, "--progress", "main")
	sameCode(t, plain, fed)
	done := regexp.MustCompile(`^Writing objects: 100% \(\d+/\d+\), [0-9.]+ MiB \| [0-9.]+ (MiB|KiB|GiB)/s, done\.$`)
	for _, r := range []run{plain, fed} {
		got := lines(r.stderr.String(), regexp.MustCompile(`^Writing objects|^Total `))
		if len(got) < 3 || !done.MatchString(got[len(got)-2]) || !strings.HasPrefix(got[len(got)-1], "Total ") {
			t.Errorf("no meter ending as git's, then Total:\n%s", r.stderr)
		}
	}
	rateless := func(r run) run { // the rates differ: the rest must not
		out := regexp.MustCompile(`\| [0-9.]+ [KMG]iB/s`).ReplaceAllString(r.stderr.String(), "")
		l := &gittest.Buffer{}
		l.Write([]byte(out))
		return run{stderr: l, code: r.code}
	}
	sameLines(t, rateless(plain), rateless(fed), regexp.MustCompile(`^Writing objects: 100%|^Delta compression|^Total`))
	mu.Lock()
	for i, s := range atStart {
		if strings.Contains(s, "Writing objects: 100%") {
			t.Errorf("push %d: the meter was done before the server read the pack:\n%s", i, s)
		}
	}
	if len(atStart) != 2 {
		t.Errorf("%d pushes seen, want 2", len(atStart))
	}
	mu.Unlock()
	for _, args := range [][]string{{"-q", "main"}, {"main"}} {
		plain, fed := push(true, args...), push(false, args...)
		sameCode(t, plain, fed)
		for _, r := range []run{plain, fed} {
			if strings.Contains(r.stderr.String(), "Writing objects") {
				t.Errorf("git push %s shows a meter:\n%s", strings.Join(args, " "), r.stderr)
			}
		}
	}
}

// A server that refuses the push request itself (its listing was
// taken) with 401 or 403 and an HTML page: git shows no page, and
// neither does federate, which says what to do about the token; both
// fail the push.
func TestRefusedPushRequestAsGitShowsIt(t *testing.T) {
	for _, c := range []struct {
		status int
		hint   string
	}{
		{403, "cannot write here"},
		{401, "refused the credentials: set a valid token in FEDERATE_TOKEN_"}, // the token's variable
	} {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			f := newFed(t)
			before := f.rev("main")
			f.commit("a.txt", "a")
			f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Status: c.status,
				Body: "<!DOCTYPE html><html><head><title>Denied</title></head><body><h1>Access denied</h1></body></html>"})
			plain := f.plainPush(&gittest.Buffer{}, "main")
			fed := f.fedPush(&gittest.Buffer{}, "main")
			f.wantDirect()
			// A refusal took nothing: origin is not asked again what it
			// took, as after a broken connection.
			if reqs := f.origin.Requests(); !strings.Contains(reqs[len(reqs)-1].Path, "git-receive-pack") {
				t.Errorf("origin was asked again after refusing the push: %+v", reqs[len(reqs)-1])
			}
			sameCode(t, plain, fed)
			out := fed.stderr.String()
			wantNotContains(t, out, "<html", "DOCTYPE", "Access denied", "Denied", "broke")
			wantContains(t, out, c.hint)
			f.wantRef("refs/heads/main", before, f.all()...)
		})
	}
}

// A token that may not read the repository (403 on the fetch's
// listing): git fails the fetch; federate too, saying that the token
// cannot read, not that it cannot write.
func TestFetchRefusedAsGitShowsIt(t *testing.T) {
	f := newFed(t)
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/", Status: 403, Body: "Forbidden"})
	helper := "!f() { echo username=x; echo password=origin-token; }; f"
	plain := f.gitPush(&gittest.Buffer{}, "-c", "credential.helper=", "-c", "credential.helper="+helper, "fetch", f.origin.URL)
	fed := f.gitPush(&gittest.Buffer{}, "fetch", "fed")
	sameCode(t, plain, fed)
	out := fed.stderr.String()
	wantContains(t, out, "cannot read")
	wantNotContains(t, out, "cannot write")
}

// A token revoked between the listing and the object fetch (the fetch's
// request answered 401): git fails the fetch; federate too, saying that
// origin refused the token and what to do, not that the connection
// broke.
func TestTokenRefusedDuringFetchAsGitShowsIt(t *testing.T) {
	f := newFed(t)
	other := filepath.Join(t.TempDir(), "other")
	mustGit(t, "", "clone", "-q", f.origin.Path, other)
	gittest.Commit(t, other, "new.txt", "new\n", "new")
	mustGit(t, other, "push", "-q", f.origin.Path, "main")
	var mu sync.Mutex
	posts := 0
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-upload-pack", Hook: func(*http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if posts++; posts == 2 { // the refs listed, the objects asked for
			f.origin.SetAuth(gittest.Auth{Token: "revoked"})
		}
	}})
	fetch := func(args ...string) run {
		mu.Lock()
		posts = 0
		mu.Unlock()
		f.origin.SetAuth(gittest.Auth{Token: "origin-token"})
		return f.gitPush(&gittest.Buffer{}, append([]string{"-c", "protocol.version=2"}, args...)...)
	}
	helper := "!f() { echo username=x; echo password=origin-token; }; f"
	plain := fetch("-c", "credential.helper=", "-c", "credential.helper="+helper, "fetch", f.origin.URL)
	fed := fetch("fetch", "fed")
	sameCode(t, plain, fed)
	out := fed.stderr.String()
	wantContains(t, out, "refused", "git federate login")
	wantNotContains(t, out, "broke")
}

// shapes are lines with their figures left out, a run of lines of the
// same shape once.
func shapes(ls []string) []string {
	var out []string
	for _, l := range ls {
		l = regexp.MustCompile(`[0-9]+`).ReplaceAllString(l, "#")
		if len(out) == 0 || out[len(out)-1] != l {
			out = append(out, l)
		}
	}
	return out
}

// A push of enough objects that the server indexes them: with
// --progress git asks for the server's progress ("remote: Resolving
// deltas"), drawn in place; so does federate; with -q neither does.
func TestServerProgressAsGitShowsIt(t *testing.T) {
	f := newFed(t)
	before := f.rev("main")
	var text strings.Builder
	for i := range 120 {
		fmt.Fprintf(&text, "line %d of a file that grows with every commit, so that its versions are deltas of each other\n", i)
		f.commit("grow.txt", text.String())
	}
	remoteLines := regexp.MustCompile(`^remote: `)
	for _, args := range [][]string{{"--progress", "main"}, {"-q", "main"}} {
		plain := f.plainPush(&gittest.Buffer{}, args...)
		mustGit(t, f.origin.Path, "update-ref", "refs/heads/main", before)
		fed := f.fedPush(&gittest.Buffer{}, args...)
		f.wantDirect()
		mustGit(t, f.origin.Path, "update-ref", "refs/heads/main", before)
		sameCode(t, plain, fed)
		// The packs may differ by a delta (pack-objects' threads): the
		// figures are left out, the lines' shape and order compared.
		p, d := shapes(lines(plain.stderr.String(), remoteLines)), shapes(lines(fed.stderr.String(), remoteLines))
		if strings.Join(p, "\n") != strings.Join(d, "\n") {
			t.Errorf("git push %s: remote lines differ:\ngit:\n%q\nfederate:\n%q", strings.Join(args, " "), p, d)
		}
		if args[0] == "--progress" && !strings.Contains(fed.stderr.String(), "remote: Resolving deltas: 100%") {
			t.Errorf("no server progress:\n%s", fed.stderr)
		}
	}
}

// A hook's words reach the user while the hook runs, as with git (the
// server sends them as they come), and stay shown when the push then
// fails as a whole (here the connection is cut once the hook has
// spoken).
func TestHookWordsStreamAsGitShowsThem(t *testing.T) {
	f := newFed(t)
	release := filepath.Join(t.TempDir(), "release")
	hook(t, f.origin.Path, "pre-receive", `cat >/dev/null
echo "checking the push" >&2
i=0
while [ ! -f '`+release+`' ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done
exit 1
`)
	words := len("0017\x02checking the push\n") // the first thing the server sends: cut after it
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", Stream: true, CutAfter: words})
	before := f.rev("main")
	f.commit("a.txt", "a")
	push := func(p func(*gittest.Buffer, ...string) run) run {
		stderr := &gittest.Buffer{}
		done := make(chan run, 1)
		go func() { done <- p(stderr, "main") }()
		gittest.WaitFor(t, "the hook's words while it runs", func() bool {
			return strings.Contains(stderr.String(), "remote: checking the push")
		})
		if err := os.WriteFile(release, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		r := <-done
		os.Remove(release)
		return r
	}
	plain := push(f.plainPush)
	fed := push(f.fedPush)
	f.wantDirect()
	sameCode(t, plain, fed)
	if fed.code == 0 {
		t.Errorf("the push succeeded:\n%s", fed.stderr)
	}
	wantContains(t, fed.stderr.String(), "remote: checking the push")
	f.wantRef("refs/heads/main", before, f.all()...)
}
