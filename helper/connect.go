package helper

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// HandshakeTimeout bounds how long a server may take to answer the start
// of a fetch (a protocol-v2 capability advertisement: one small
// exchange) while another server remains to be tried. The last server
// has no such limit: git and curl decide, as with plain git.
const HandshakeTimeout = 30 * time.Second

// ErrUnreachable is wrapped by the error of a fetch that no server could
// serve.
var ErrUnreachable = i18n.Errorf("no server could be reached")

// connect answers "connect" and "stateless-connect". done is true when the
// stream was handed over and the session is over.
//
// For a protocol-v2 fetch from an http(s) server, git's own helper
// (git remote-https) runs as a child and this session relays bytes
// between it and git: git then speaks its native fetch protocol (depth,
// filters, tag following, progress) to the server this federation chose.
// Everything else falls back to list and fetch.
func (s *Session) connect(ctx context.Context, c protocol.Connect, r *protocol.Reader, w *protocol.Writer, raw io.Writer) (done bool, err error) {
	if !c.Stateless || c.Service != "git-upload-pack" {
		return false, w.ConnectFallback()
	}
	servers, err := s.fetchServers(ctx)
	if err != nil {
		return true, err
	}
	var failed []error
	for i, srv := range servers {
		if !srv.HTTP() || s.v0[srv.Raw] {
			// file, ssh and git are reached by a child `git fetch`, and
			// so is a server without protocol v2; the list that follows
			// skips servers already found down.
			return false, w.ConnectFallback()
		}
		limit := time.Duration(0)
		if i < len(servers)-1 {
			limit = s.handshakeTimeout
			if limit == 0 {
				limit = HandshakeTimeout
			}
		}
		up, err := s.startUploadPackRetried(ctx, srv, limit)
		if err != nil && srv.Raw == s.Fed.Origin.Raw && gitexec.Refused(err) {
			return true, s.explainRead(ctx, err, srv.Raw) // reached, and refused: no failover
		}
		if err != nil {
			s.markDown(srv, err)
			failed = append(failed, err)
			continue
		}
		if up.fallback {
			if s.v0 == nil {
				s.v0 = map[string]bool{}
			}
			s.v0[srv.Raw] = true
			up.abandon()
			return false, w.ConnectFallback()
		}
		s.noteServer(srv)
		if err := w.ConnectReady(); err != nil {
			up.abandon()
			return true, err
		}
		up.stderr.release(s.Stderr)
		err = up.relay(r.Buffered(), raw)
		if up.stderr.broke() {
			s.fetchBroke(ctx, srv, up.stderr.Tail())
		}
		if err == nil && up.fetched.Load() {
			s.afterFetch(srv)
		}
		return true, err
	}
	return true, s.unreachable(failed)
}

// unreachable reports that no server answered, with each server's own
// words (git's "unable to access …" lines) and what the user can change.
func (s *Session) unreachable(failed []error) error {
	var hint any = ""
	switch {
	case len(s.Fed.Mirrors) == 0:
	case !s.Fed.Failover:
		hint = i18n.M(" (failover is off: set federation.%s.failover=true to fetch from a mirror)", s.Fed.Name)
	default:
		hint = i18n.M(" (origin and every mirror failed)")
	}
	return i18n.Errorf("%w%v:\n%w", ErrUnreachable, hint, i18n.Join(failed...))
}

// fetchServers lists the servers a fetch may use, best first: with
// fetchFrom = nearest the nearest one, then the origin, then, with
// failover, each mirror in order. Servers already found down in this
// session are left out.
func (s *Session) fetchServers(ctx context.Context) ([]federation.Endpoint, error) {
	var out []federation.Endpoint
	add := func(e federation.Endpoint) {
		if s.down[e.Raw] != nil {
			return
		}
		for _, o := range out {
			if o.Raw == e.Raw {
				return
			}
		}
		out = append(out, e)
	}
	if s.wantsNearest() {
		l, err := s.nearestListing(ctx)
		if err != nil {
			return nil, err
		}
		add(l.Server)
	}
	add(s.Fed.Origin)
	if s.Fed.Failover {
		for _, m := range s.Fed.Mirrors {
			add(m)
		}
	}
	if len(out) == 0 {
		return nil, s.unreachable(s.downErrors())
	}
	return out, nil
}

// helperChild is a running `git remote-http(s)` for one server: git's
// own http helper, which this session drives through protocol.Client.
// Its stderr is held back (gate) until the caller decides the user
// should see it.
type helperChild struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	outFile *os.File
	stderr  *gate
}

// startHelperChild runs git's own http helper for srv, with the
// session's credential callback in its environment.
func (s *Session) startHelperChild(ctx context.Context, srv federation.Endpoint) (*helperChild, error) {
	name := s.Remote
	if name == "" {
		name = srv.Raw
	}
	g := s.Git.ForServer(srv.Raw)
	g.Env = s.childEnv()
	cmd := g.ProgramCommand(ctx, "remote-"+srv.Protocol, name, srv.Raw)
	c := &helperChild{cmd: cmd, stderr: &gate{clean: s.Git.Redact}}
	cmd.Stderr = c.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// Packs come through this pipe. A plain blocking pipe read with
	// a large buffer costs far less system time than os.Pipe's
	// poller-driven one (cmd.StdoutPipe).
	out, childOut, err := blockingPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = childOut
	err = cmd.Start()
	childOut.Close()
	if err != nil {
		out.Close()
		return nil, i18n.Errorf("%s: starting git remote-%s: %w", srv.Raw, srv.Protocol, err)
	}
	c.in, c.out, c.outFile = in, bufio.NewReader(out), out
	return c, nil
}

// client speaks the remote-helper protocol to the child.
func (c *helperChild) client() *protocol.Client { return protocol.NewClient(c.in, c.out) }

// abandon stops the child without a word to the user.
func (c *helperChild) abandon() {
	c.in.Close()
	c.cmd.Process.Kill()
	c.cmd.Wait()
	c.outFile.Close()
}

// uploadPack is a running `git remote-http(s)` child that has been asked
// for a stateless connection to git-upload-pack.
type uploadPack struct {
	*helperChild
	fallback bool        // the server does not speak protocol v2
	fetched  atomic.Bool // git sent a fetch request, not only ls-refs
}

// startUploadPack runs git's own http helper for srv and asks it for a
// stateless connection. The child's stderr is held back until it has
// answered, so that a server that is down costs the user one warning
// line, not git's error. A child that dies or stays silent past
// limit (0: none) is an error naming srv.
func (s *Session) startUploadPack(ctx context.Context, srv federation.Endpoint, limit time.Duration) (*uploadPack, error) {
	c, err := s.startHelperChild(ctx, srv)
	if err != nil {
		return nil, err
	}
	up := &uploadPack{helperChild: c}
	up.fallback, err = up.handshake(s.childOptions(), limit)
	if err != nil {
		up.abandon()
		return nil, &ServerError{Server: srv, Err: err, Stderr: s.Git.Redact.Clean(up.stderr.String())}
	}
	return up, nil
}

// childOptions are the options git set that git remote-http(s) acts on
// during a stateless fetch: how much to say, whether to show progress,
// and which address family to connect with. The rest (depth, filter,
// tags) git puts in its own protocol-v2 requests.
func (s *Session) childOptions() []protocol.ClientOption {
	opts := []protocol.ClientOption{
		{Name: "progress", Value: strconv.FormatBool(s.opts.Progress)},
		{Name: "verbosity", Value: strconv.Itoa(s.opts.Verbosity)},
	}
	if s.opts.Family != "" {
		opts = append(opts, protocol.ClientOption{Name: "family", Value: s.opts.Family})
	}
	return opts
}

// handshake sends the options and the stateless-connect command and
// returns the child's answer to the command. It gives up when the child
// exits first or after limit (0: no limit).
func (up *uploadPack) handshake(options []protocol.ClientOption, limit time.Duration) (fallback bool, err error) {
	return withLimit(context.Background(), limit, func() (bool, error) {
		c := up.client()
		if _, err := c.Options(options...); err != nil {
			return false, err
		}
		return c.StatelessConnect("git-upload-pack")
	})
}

// withLimit runs fn and waits for it at most limit (0: no limit) and
// until ctx is done. fn talks to a child process: the caller kills the
// child when the time is up, which ends fn. fn's result is returned only
// when fn finished: after a time-out, fn may still be running.
func withLimit[T any](ctx context.Context, limit time.Duration, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	var expired <-chan time.Time
	if limit > 0 {
		timer := time.NewTimer(limit)
		defer timer.Stop()
		expired = timer.C
	}
	var zero T
	select {
	case r := <-ch:
		return r.v, r.err
	case <-expired:
		return zero, noAnswer{limit}
	case <-ctx.Done():
		return zero, i18n.Errorf("no answer: %w", ctx.Err())
	}
}

// noAnswer is withLimit's error when the limit passed first: the server
// stalled, as git's own stall limit would have said.
type noAnswer struct{ limit time.Duration }

func (e noAnswer) Error() string        { return e.Localize(nil) }
func (e noAnswer) Is(target error) bool { return target == context.DeadlineExceeded }

// Localize says e in p's language.
func (e noAnswer) Localize(p *i18n.Printer) string {
	return i18n.M("no answer within %v", e.limit).Localize(p)
}

// relay copies git's requests (from) to the child and the child's
// answers to git (to) until both sides are done. The child's exit status
// is the result: it has already told the user what went wrong.
func (up *uploadPack) relay(from io.Reader, to io.Writer) error {
	go func() {
		// git closes our stdin when it is done; the child then exits.
		io.Copy(up.in, &fetchSpotter{r: from, seen: &up.fetched})
		up.in.Close()
	}()
	// A plain read/write loop, not splice(2): spliced pipe to pipe, the
	// end of the child's output can meet git's already closed read end
	// and fail with EPIPE although every byte arrived; git then sees our
	// failure ("remote transport reported error").
	copyErr := copyLarge(to, up.out)
	up.outFile.Close()
	if copyErr != nil {
		// git went away: nobody is left to read the answers.
		up.cmd.Process.Kill()
	}
	err := up.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return i18n.Errorf("git %s exited with status %d", up.cmd.Args[1], exit.ExitCode())
	}
	if err != nil {
		return err
	}
	return copyErr
}

// fetchSpotter passes git's protocol-v2 requests through and notes
// whether one was "command=fetch" (not only ls-refs, as ls-remote sends).
type fetchSpotter struct {
	r    io.Reader
	seen *atomic.Bool
	tail []byte // the end of the last read, for a match split across reads
}

var fetchCommand = []byte("command=fetch")

func (f *fetchSpotter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && !f.seen.Load() {
		buf := append(f.tail, p[:n]...)
		if bytes.Contains(buf, fetchCommand) {
			f.seen.Store(true)
		}
		f.tail = append(f.tail[:0], buf[max(0, len(buf)-len(fetchCommand)):]...)
	}
	return n, err
}

// copyLarge copies from to to with a buffer large enough for a pipe's
// worth of pack data per system call.
func copyLarge(to io.Writer, from io.Reader) error {
	buf := make([]byte, 256<<10)
	for {
		n, err := from.Read(buf)
		if n > 0 {
			if _, werr := to.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ServerError is a server that could not serve a fetch, with what its
// git said (the tail of its stderr, which never holds a token).
type ServerError struct {
	Server federation.Endpoint
	Err    error
	Stderr string
}

func (e *ServerError) Error() string { return e.Localize(nil) }

// Localize is the error in p's language: git's own words as git said them.
func (e *ServerError) Localize(p *i18n.Printer) string {
	if st := strings.TrimSpace(e.Stderr); st != "" {
		// git's own words ("unable to access …: Couldn't connect",
		// "Authentication failed") say it best.
		return p.Sprintf("%s: %s", e.Server.Raw, st)
	}
	return p.Sprintf("%s: %s", e.Server.Raw, p.Error(e.Err))
}

func (e *ServerError) Unwrap() error { return e.Err }

// gate holds a child's stderr back until release, then passes it through.
// It notes whether the transport reported a connection that broke in the
// middle of an answer (git remote-https still exits 0 then).
type gate struct {
	mu     sync.Mutex
	buf    []byte
	to     io.Writer
	open   bool
	failed bool
	last   []byte // the end of everything written, released or not
	// clean is applied to everything written (nil: no known token).
	clean *redact.Redactor
}

// rpcFailed starts the line git's http transport prints when a request
// failed after it began (a cut connection, curl 18).
var rpcFailed = []byte("error: RPC failed")

func (g *gate) Write(p []byte) (int, error) {
	n := len(p)
	// The server's messages reach the user and error text: no token it
	// echoes, no terminal escape. A chunk is cleaned as it comes.
	p = []byte(g.clean.CleanLines(string(p)))
	g.mu.Lock()
	defer g.mu.Unlock()
	g.last = append(g.last, p...)
	if len(g.last) > 4<<10 {
		g.last = g.last[len(g.last)-4<<10:]
	}
	// Looked for in the tail, not the chunk: a line may come in pieces.
	g.failed = g.failed || bytes.Contains(g.last, rpcFailed)
	if g.open {
		if g.to != nil {
			g.to.Write(p)
		}
		return n, nil
	}
	if len(g.buf) < 64<<10 {
		g.buf = append(g.buf, p...)
	}
	return n, nil
}

// broke reports whether the relayed transport said a request failed.
func (g *gate) broke() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failed
}

// release writes what was held back to to and passes later writes on.
func (g *gate) release(to io.Writer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if to != nil && len(g.buf) > 0 {
		to.Write(g.buf)
	}
	g.buf, g.to, g.open = nil, to, true
}

func (g *gate) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return string(g.buf)
}

// Tail is the end of everything the child wrote, for its last words.
func (g *gate) Tail() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return string(g.last)
}
