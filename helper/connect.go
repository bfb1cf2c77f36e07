package helper

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/transport/relay"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// HandshakeTimeout bounds how long a server may take to answer the start
// of a fetch (a protocol-v2 capability advertisement: one small
// exchange) while another server remains to be tried. The last server
// has no such limit: git and curl decide, as with plain git.
const HandshakeTimeout = 30 * time.Second

// ErrUnreachable is wrapped by the error of a fetch that no server could
// serve.
var ErrUnreachable = i18n.Errorf("no server could serve the fetch")

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
		if !srv.HTTP() || s.v0[srv.Raw] || s.forbidden(ctx, srv) {
			// file, ssh and git are reached by a child `git fetch`, and
			// so is a server without protocol v2; the list that follows
			// skips servers already found down. git's http helper, run
			// here, would not refuse a protocol git's policy forbids in
			// git's words: the child listing does.
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
			up.Abandon()
			return false, w.ConnectFallback()
		}
		s.noteServer(srv)
		if err := w.ConnectReady(); err != nil {
			up.Abandon()
			return true, err
		}
		up.Stderr.Release(s.Stderr)
		err = up.relay(r.Buffered(), raw)
		if up.Stderr.Broke() {
			s.fetchBroke(ctx, srv, up.Stderr.Tail())
		}
		if err == nil && up.fetched.Load() {
			s.afterFetch(srv)
		}
		return true, err
	}
	return true, s.unreachable(failed)
}

// unreachable reports that no server served the fetch, with each
// server's own words (git's "unable to access …" lines) and what the user
// can change. Some may have answered (a 5xx, a redirect loop): the words
// claim no more than that the fetch was not served.
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

// startHelperChild runs git's own http helper for srv, with the
// session's credential callback in its environment.
func (s *Session) startHelperChild(ctx context.Context, srv federation.Endpoint) (*relay.Child, error) {
	g := s.Git.ForServer(srv.Raw)
	g.Env = s.childEnv()
	return relay.Start(ctx, g, s.remoteName(srv), srv.Protocol, srv.Raw, s.Git.Redact)
}

// remoteName is the remote's name for a child of srv: git's, else the URL.
func (s *Session) remoteName(srv federation.Endpoint) string {
	if s.Remote == "" {
		return srv.Raw
	}
	return s.Remote
}

// uploadPack is a running `git remote-http(s)` child that has been asked
// for a stateless connection to git-upload-pack.
type uploadPack struct {
	*relay.Child
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
	up := &uploadPack{Child: c}
	up.fallback, err = up.handshake(s.childOptions(), limit)
	if err != nil {
		up.Abandon()
		return nil, &ServerError{Server: srv, Err: err, Stderr: s.Git.Redact.Clean(up.Stderr.String())}
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
	return relay.WithLimit(context.Background(), limit, func() (bool, error) {
		c := up.Client()
		if _, err := c.Options(options...); err != nil {
			return false, err
		}
		return c.StatelessConnect("git-upload-pack")
	})
}

// relay copies git's requests (from) to the child and the child's
// answers to git (to) until both sides are done. The child's exit status
// is the result: it has already told the user what went wrong.
func (up *uploadPack) relay(from io.Reader, to io.Writer) error {
	go func() {
		// git closes our stdin when it is done; the child then exits.
		io.Copy(up.In, &fetchSpotter{r: from, seen: &up.fetched})
		up.In.Close()
	}()
	// A plain read/write loop, not splice(2): spliced pipe to pipe, the
	// end of the child's output can meet git's already closed read end
	// and fail with EPIPE although every byte arrived; git then sees our
	// failure ("remote transport reported error").
	copyErr := copyLarge(to, up.Out)
	up.OutFile.Close()
	if copyErr != nil {
		// git went away: nobody is left to read the answers.
		up.Cmd.Process.Kill()
	}
	err := up.Cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return i18n.Errorf("git %s exited with status %d", up.Cmd.Args[1], exit.ExitCode())
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
