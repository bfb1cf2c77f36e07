// Package stall gives up an http request whose server moves no byte,
// either way, for a limit: sending the body, waiting for the answer,
// reading it. A transfer that keeps moving runs as long as it takes.
// The LFS client and the smart-HTTP push client share it.
package stall

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// Error is a server that moved no byte of a request or its answer for
// the stall limit, and was given up.
type Error struct {
	// Host is the server's host.
	Host string
	// Limit is the stall limit; Key the config key that sets it.
	Limit time.Duration
	Key   string
	// LFS says the server is an LFS server, which the message says.
	LFS bool
}

func (e *Error) Error() string { return e.msg().String() }

// Localize is the error in p's language.
func (e *Error) Localize(p *i18n.Printer) string { return e.msg().Localize(p) }

func (e *Error) msg() i18n.Msg {
	if e.LFS {
		return i18n.M("LFS server %s: no data moved for %s; gave up (the limit is %s)", e.Host, e.Limit.String(), e.Key)
	}
	return i18n.M("%s: no data moved for %s; gave up (the limit is %s)", e.Host, e.Limit.String(), e.Key)
}

// Do sends req with c. With limit > 0, once no byte has moved for limit
// the request is cancelled and its error (or the error of a read of the
// answer's body) is stall; the watch ends when the body is closed.
func Do(c *http.Client, req *http.Request, limit time.Duration, stall error) (*http.Response, error) {
	if limit <= 0 {
		return c.Do(req)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	w := watch(limit, func() { cancel(stall) })
	req = req.WithContext(ctx)
	if req.Body != nil {
		req.Body = &watched{ReadCloser: req.Body, w: w}
	}
	resp, err := c.Do(req)
	if err != nil {
		w.stop()
		if errors.Is(context.Cause(ctx), stall) {
			err = stall
		}
		cancel(nil)
		return nil, err
	}
	resp.Body = &watched{ReadCloser: resp.Body, w: w, ctx: ctx, stall: stall, done: func() { w.stop(); cancel(nil) }}
	return resp, nil
}

// watcher calls its function once no byte has moved for its limit.
type watcher struct {
	last atomic.Int64 // unix nanoseconds
	quit chan struct{}
	once atomic.Bool
}

func watch(limit time.Duration, onStall func()) *watcher {
	w := &watcher{quit: make(chan struct{})}
	w.moved()
	go func() {
		t := time.NewTicker(min(max(limit/10, 50*time.Millisecond), time.Second))
		defer t.Stop()
		for {
			select {
			case <-w.quit:
				return
			case <-t.C:
				if time.Since(time.Unix(0, w.last.Load())) >= limit {
					onStall()
					return
				}
			}
		}
	}()
	return w
}

func (w *watcher) moved() { w.last.Store(time.Now().UnixNano()) }

func (w *watcher) stop() {
	if w.once.CompareAndSwap(false, true) {
		close(w.quit)
	}
}

// watched is a request or response body that tells its watcher of each
// byte read; a response body ends the watch when closed, and reports a
// read cut by the watch as the stall it was.
type watched struct {
	io.ReadCloser
	w     *watcher
	ctx   context.Context
	stall error
	done  func()
}

func (b *watched) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.moved()
	}
	if err != nil && err != io.EOF && b.ctx != nil && errors.Is(context.Cause(b.ctx), b.stall) {
		err = b.stall
	}
	return n, err
}

func (b *watched) Close() error {
	err := b.ReadCloser.Close()
	if b.done != nil {
		b.done()
	}
	return err
}
