package relay

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// Child is a running `git remote-http(s)` for one server: git's
// own http helper, which this session drives through protocol.Client.
// Its stderr is held back (gate) until the caller decides the user
// should see it.
type Child struct {
	Cmd     *exec.Cmd
	In      io.WriteCloser
	Out     *bufio.Reader
	OutFile *os.File // Out's file, closed when the child is done
	Stderr  *Gate
}

// Start runs git's own http helper (`git remote-<scheme> <remote>
// <url>`) with g, whose environment carries the session's credential
// callback; clean cleans what it writes to stderr.
func Start(ctx context.Context, g gitexec.Runner, remote, scheme, url string, clean *redact.Redactor) (*Child, error) {
	cmd := g.ProgramCommand(ctx, "remote-"+scheme, remote, url)
	c := &Child{Cmd: cmd, Stderr: &Gate{clean: clean}}
	cmd.Stderr = c.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// Packs come through this pipe. A plain blocking pipe read with
	// a large buffer costs far less system time than os.Pipe's
	// poller-driven one (cmd.StdoutPipe).
	out, childOut, err := BlockingPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = childOut
	err = cmd.Start()
	childOut.Close()
	if err != nil {
		out.Close()
		return nil, i18n.Errorf("%s: starting git remote-%s: %w", url, scheme, err)
	}
	c.In, c.Out, c.OutFile = in, bufio.NewReader(out), out
	return c, nil
}

// Client speaks the remote-helper protocol to the child.
func (c *Child) Client() *protocol.Client { return protocol.NewClient(c.In, c.Out) }

// Abandon stops the child without a word to the user.
func (c *Child) Abandon() {
	c.In.Close()
	c.Cmd.Process.Kill()
	c.Cmd.Wait()
	c.OutFile.Close()
}

// WithLimit runs fn and waits for it at most limit (0: no limit) and
// until ctx is done. fn talks to a child process: the caller kills the
// child when the time is up, which ends fn. fn's result is returned only
// when fn finished: after a time-out, fn may still be running.
func WithLimit[T any](ctx context.Context, limit time.Duration, fn func() (T, error)) (T, error) {
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
		return zero, NoAnswer{Limit: limit}
	case <-ctx.Done():
		return zero, i18n.Errorf("no answer: %w", ctx.Err())
	}
}

// NoAnswer is withLimit's error when the limit passed first: the server
// stalled, as git's own stall limit would have said.
type NoAnswer struct{ Limit time.Duration }

// Error is e in English.
func (e NoAnswer) Error() string { return e.Localize(nil) }

// Is makes e a context.DeadlineExceeded for errors.Is.
func (e NoAnswer) Is(target error) bool { return target == context.DeadlineExceeded }

// Localize says e in p's language.
func (e NoAnswer) Localize(p *i18n.Printer) string {
	return i18n.M("no answer within %v", e.Limit).Localize(p)
}

// Gate holds a child's stderr back until release, then passes it through.
// It notes whether the transport reported a connection that broke in the
// middle of an answer (git remote-https still exits 0 then).
type Gate struct {
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

// Write cleans p, keeps its tail and holds it back or passes it on.
func (g *Gate) Write(p []byte) (int, error) {
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

// Broke reports whether the relayed transport said a request failed.
func (g *Gate) Broke() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failed
}

// Release writes what was held back to to and passes later writes on.
func (g *Gate) Release(to io.Writer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if to != nil && len(g.buf) > 0 {
		to.Write(g.buf)
	}
	g.buf, g.to, g.open = nil, to, true
}

// String is what was held back.
func (g *Gate) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return string(g.buf)
}

// Tail is the end of everything the child wrote, for its last words.
func (g *Gate) Tail() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return string(g.last)
}

// NewGate is a gate that cleans what passes with clean (nil: no known
// token).
func NewGate(clean *redact.Redactor) *Gate { return &Gate{clean: clean} }
