package helper

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/transport/relay"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

const capabilitiesReply = "stateless-connect\nfetch\npush\noption\ncheck-connectivity\nobject-format\n\n"

// newSession is a session on the federation with origin url (mirrors
// optional) for the local repository gitDir, as git-remote-federate
// would build it: children call the built binary back for tokens.
func newSession(t *testing.T, gitDir string, urls ...string) (*Session, *gittest.Buffer) {
	t.Helper()
	var eps []federation.Endpoint
	for _, u := range urls {
		ep, err := federation.ParseEndpoint(u)
		if err != nil {
			t.Fatal(err)
		}
		eps = append(eps, ep)
	}
	stderr := &gittest.Buffer{}
	exe := filepath.Join(gittest.BinDir(t), "git-remote-federate")
	return &Session{
		Remote: "origin",
		GitDir: gitDir,
		Fed:    &federation.Federation{Name: "app", Origin: eps[0], Mirrors: eps[1:], Options: federation.DefaultOptions()},
		Git:    gitexec.Runner{Env: gitexec.WithCredentialCallback(os.Environ(), exe), Stderr: stderr},
		Stderr: stderr,
	}, stderr
}

// conversation runs s.Serve on pipes so a test can send a command, read
// the exact reply and look at the repository before the next command.
type conversation struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *io.PipeReader
	done chan error
}

func converse(t *testing.T, s *Session) *conversation {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &conversation{t: t, in: inW, out: outR, done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	go func() {
		err := s.Serve(ctx, inR, outW)
		outW.Close()
		c.done <- err
	}()
	return c
}

// replyTimeout bounds the wait for a reply in a conversation.
const replyTimeout = 20 * time.Second

var errNoReply = errors.New("no complete reply in time")

// step sends send and checks that the reply is exactly want.
func (c *conversation) step(send, want string) {
	c.t.Helper()
	if _, err := io.WriteString(c.in, send); err != nil {
		c.t.Fatalf("sending %q: %v", send, err)
	}
	got := make([]byte, len(want))
	// A reply shorter than want would leave the read waiting for bytes
	// that never come: give up, and show what came.
	timer := time.AfterFunc(replyTimeout, func() { c.out.CloseWithError(errNoReply) })
	_, err := io.ReadFull(c.out, got)
	timer.Stop()
	if err != nil {
		c.t.Fatalf("after %q: read %q, then %v", send, got, err)
	}
	if string(got) != want {
		c.t.Fatalf("after %q:\n got %q\nwant %q", send, got, want)
	}
}

// end closes git's side and checks that the session ended cleanly with
// nothing more said.
func (c *conversation) end() {
	c.t.Helper()
	c.in.Close()
	rest, _ := io.ReadAll(c.out)
	if len(rest) > 0 {
		c.t.Errorf("unexpected output at the end: %q", rest)
	}
	if err := <-c.done; err != nil {
		c.t.Errorf("Serve: %v", err)
	}
}

// hasObject reports whether oid exists in the repository at dir.
func hasObject(t *testing.T, dir, oid string) bool {
	t.Helper()
	_, err := gittest.GitErr(dir, nil, "cat-file", "-e", oid)
	return err == nil
}

// tagged builds, in a work repository pushed to the repository at path:
// main = c1, b = c1-c2-c3, annotated tags vmain on c1, vold on c2 and
// vb on c3.
func tagged(t *testing.T, path string) map[string]string {
	work := gittest.NewWorkRepo(t)
	gittest.Git(t, work, "tag", "-a", "vmain", "-m", "vmain")
	gittest.Git(t, work, "checkout", "-q", "-b", "b")
	gittest.Commit(t, work, "2", "2\n", "c2")
	gittest.Git(t, work, "tag", "-a", "vold", "-m", "vold")
	gittest.Commit(t, work, "3", "3\n", "c3")
	gittest.Git(t, work, "tag", "-a", "vb", "-m", "vb")
	gittest.Seed(t, work, path)
	oids := map[string]string{}
	for _, r := range []string{"main", "b", "vmain", "vold", "vb", "vold^{}"} {
		oids[r] = gittest.RefOf(t, work, r)
	}
	return oids
}

// Several fetch batches in one session, over http with a token: each is
// answered by a child git fetch, annotated tags on fetched commits come
// along (git before 2.44 would miss them), and connectivity is vouched for.
func TestTranscriptSeveralFetchBatches(t *testing.T) {
	gittest.Isolate(t)
	srv := gittest.NewServer(t, gittest.Auth{Token: "s3cret"})
	url := srv.InitBare(t, "app.git")
	t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), "s3cret")
	oid := tagged(t, srv.Path("app.git"))
	local := filepath.Join(t.TempDir(), "local.git")
	gittest.Git(t, "", "init", "-q", "--bare", local)

	s, stderr := newSession(t, local, url)
	c := converse(t, s)
	c.play(transcript(t, "several-fetch-batches", oid), map[string]func(){
		"batch 1": func() {
			for name, want := range map[string]bool{"main": true, "vmain": true, "b": false, "vold": false} {
				if got := hasObject(t, local, oid[name]); got != want {
					t.Errorf("after batch 1: has %s = %v, want %v", name, got, want)
				}
			}
		},
		"batch 2": func() {
			for _, name := range []string{"b", "vb", "vold^{}", "vold"} {
				if !hasObject(t, local, oid[name]) {
					t.Errorf("after batch 2: %s missing", name)
				}
			}
		},
	})
	c.end()
	if stderr.String() != "" {
		t.Errorf("stderr: %s", stderr)
	}
	if refs, _ := gittest.GitErr(local, nil, "for-each-ref"); refs != "" {
		t.Errorf("the helper wrote refs; git does that:\n%s", refs)
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r.Query+r.Path, "s3cret") {
			t.Errorf("token in a request line: %+v", r)
		}
	}
}

// pkt frames s as a pkt-line.
func pkt(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

// stateless-connect hands the stream to git remote-http: git's protocol
// v2 request, already buffered behind the command, reaches the server
// and the answer comes back byte for byte.
func TestTranscriptStatelessConnect(t *testing.T) {
	gittest.Isolate(t)
	srv := gittest.NewServer(t, gittest.Auth{Token: "s3cret"})
	url := srv.InitBare(t, "app.git")
	t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), "s3cret")
	oid := tagged(t, srv.Path("app.git"))
	local := filepath.Join(t.TempDir(), "local.git")
	gittest.Git(t, "", "init", "-q", "--bare", local)

	s, stderr := newSession(t, local, url)
	in := "capabilities\noption progress false\nstateless-connect git-upload-pack\n" +
		pkt("command=ls-refs\n") + "0001" + pkt("ref-prefix refs/heads/\n") + "0000"
	var out bytes.Buffer
	if err := s.Serve(context.Background(), strings.NewReader(in), &out); err != nil {
		t.Fatalf("Serve: %v\nstderr: %s", err, stderr)
	}
	head := capabilitiesReply + "ok\n\n" + pkt("version 2\n")
	if !strings.HasPrefix(out.String(), head) {
		t.Fatalf("output starts %q, want %q", out.String()[:min(len(head), out.Len())], head)
	}
	for _, want := range []string{pkt(oid["main"] + " refs/heads/main\n"), pkt(oid["b"] + " refs/heads/b\n")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in %q", want, out.String())
		}
	}
	if strings.Contains(out.String(), "refs/tags/") {
		t.Errorf("ls-refs ignored the ref-prefix: %q", out.String())
	}
	if stderr.String() != "" {
		t.Errorf("stderr: %s", stderr)
	}
}

// A server without protocol v2 makes git fall back to list and fetch; the
// second stateless-connect of the session does not ask the server again.
func TestTranscriptStatelessFallback(t *testing.T) {
	gittest.Isolate(t)
	gittest.Git(t, "", "config", "--global", "protocol.version", "0")
	srv := gittest.NewServer(t, gittest.Auth{})
	url := srv.InitBare(t, "app.git")
	oid := tagged(t, srv.Path("app.git"))
	local := filepath.Join(t.TempDir(), "local.git")
	gittest.Git(t, "", "init", "-q", "--bare", local)

	s, _ := newSession(t, local, url)
	c := converse(t, s)
	var asked, listed int
	c.play(transcript(t, "stateless-fallback", oid), map[string]func(){
		"asked":  func() { asked = len(srv.Requests()) },
		"listed": func() { listed = len(srv.Requests()) },
		"not asked again": func() {
			if n := len(srv.Requests()); n != listed {
				t.Errorf("second stateless-connect asked the server again (%d requests, then %d)", listed, n)
			}
		},
	})
	c.end()
	if asked == 0 || !hasObject(t, local, oid["b"]) {
		t.Errorf("requests %d, has b %v", asked, hasObject(t, local, oid["b"]))
	}
}

// Options git 2.39 and later send about the object format, and one it
// never will.
func TestTranscriptOptions(t *testing.T) {
	c := converse(t, &Session{Stderr: io.Discard})
	c.play(transcript(t, "options", nil), nil)
	c.end()
}

// A malformed lease refuses the push it belongs to, whichever way the
// push would have gone: no server is asked.
func TestTranscriptMalformedLease(t *testing.T) {
	c := converse(t, &Session{Stderr: io.Discard})
	c.play(transcript(t, "malformed-lease", nil), nil)
	c.end()
}

// An origin that accepts the connection but does not answer is left
// after the handshake limit, for the next server.
func TestTranscriptHangingOriginFailsOver(t *testing.T) {
	gittest.Isolate(t)
	origin := gittest.NewServer(t, gittest.Auth{})
	mirror := gittest.NewServer(t, gittest.Auth{})
	originURL := origin.InitBare(t, "app.git")
	mirrorURL := mirror.InitBare(t, "app.git")
	oid := tagged(t, mirror.Path("app.git"))
	// It hangs rather than answering late: a late answer could beat the
	// 200ms limit's turn on a loaded machine. The limit is the origin's
	// alone (the last server, the mirror, has none).
	origin.AddFault(gittest.Fault{Prefix: "/app.git", Hang: make(chan struct{}), Count: 1})
	local := filepath.Join(t.TempDir(), "local.git")
	gittest.Git(t, "", "init", "-q", "--bare", local)

	s, stderr := newSession(t, local, originURL, mirrorURL)
	s.handshakeTimeout = 200 * time.Millisecond
	in := "stateless-connect git-upload-pack\n" + pkt("command=ls-refs\n") + "0001" + pkt("ref-prefix refs/heads/main\n") + "0000"
	var out bytes.Buffer
	if err := s.Serve(context.Background(), strings.NewReader(in), &out); err != nil {
		t.Fatalf("Serve: %v\nstderr: %s", err, stderr)
	}
	if want := "\n" + pkt("version 2\n"); !strings.HasPrefix(out.String(), want) {
		t.Errorf("output %q does not start with %q", out.String(), want)
	}
	if !strings.Contains(out.String(), pkt(oid["main"]+" refs/heads/main\n")) {
		t.Errorf("mirror's main not in %q", out.String())
	}
	want := "warning: federate: origin " + originURL + " is unreachable (no answer within 200ms); fetching from mirror " + mirrorURL + "\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// git closes its end of our stdout once it has read the whole answer,
// possibly before the child has exited; the relay must still end
// cleanly, because git takes our exit status as the fetch's.
func TestRelayEndsCleanlyWhenGitClosesFirst(t *testing.T) {
	cmd := exec.Command("sh", "-c", "printf answer; cat >/dev/null")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, childOut, err := relay.BlockingPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = childOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	childOut.Close()
	up := &uploadPack{Child: &relay.Child{Cmd: cmd, In: in, Out: bufio.NewReader(out), OutFile: out, Stderr: relay.NewGate(nil)}}

	gitReads, ourStdout, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ourStdin, gitWrites := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- up.relay(ourStdin, ourStdout) }()

	got := make([]byte, len("answer"))
	if _, err := io.ReadFull(gitReads, got); err != nil || string(got) != "answer" {
		t.Fatalf("git read %q, %v", got, err)
	}
	gitReads.Close()  // git has all it wants
	gitWrites.Close() // and hangs up: the child sees EOF and exits
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("relay: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("relay did not end")
	}
}
