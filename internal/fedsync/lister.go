package fedsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// An http(s) server is listed by this process: one GET of
// info/refs?service=git-upload-pack (origin) or git-receive-pack (a
// mirror about to be pushed to), the token sent up front, connections
// kept alive and shared by every federation of the run. Anything this
// client cannot do as git would (a redirect, a refusal, a dumb server, a
// setting only git's transport honours) is handed to `git ls-remote`,
// which answers in git's own words; only a server that cannot be
// reached at all, or stays busy, is reported from here.

// DefaultHostJobs bounds the listings in flight to one host (host and
// port), so that one forge is not hammered whatever --jobs says.
const DefaultHostJobs = 8

// maxAdvertisement bounds a listing's answer: a million refs.
const maxAdvertisement = 128 << 20

// errUseGit is a server this process does not list: git does.
var errUseGit = errors.New("listed by git")

// lister lists http(s) servers in-process for one Engine, through the
// one client that carries tokens (internal/httpx).
type lister struct {
	jobs   int // listings in flight at most, the run's workers
	getenv func(string) string
	forge  func(host string) string
	tokens keystore.Getter // the token chain, asked once per host
	clean  *redact.Redactor
	delays []time.Duration
	// config reads, once, git's http, url, credential and protocol sections.
	config func(ctx context.Context) ([]gitexec.ConfigEntry, error)

	mu      sync.RWMutex // read for each listing, written once per host or server
	creds   map[keystore.Key]*credential
	clients map[string]*httpx.Client    // by the settings they were built for
	chosen  map[serverKey]*httpx.Client // nil: listed by git

	byHostOnce sync.Once
	byHost     bool // git's configuration tells no two repositories of a host apart

	// work holds the listings started for the run's workers, as many as
	// listings may be in flight and started with the first (start): their
	// stacks have grown to what a request needs. A request on each
	// listing's own new goroutine grew a stack anew every time, a tenth
	// of a run's CPU. close ends them.
	work      *queue
	startWork sync.Once

	requests atomic.Int64 // in-process listing requests, retries included
}

// credential is the token chain's answer for one host, asked once a run.
type credential struct {
	once   sync.Once
	basic  httpx.Credential // the user and token, as the header says them
	useGit bool             // a token needs a username only git's config has
}

// client is the client that lists ep, or errUseGit: ep is not http(s),
// names a user, or git's configuration has a setting for it that only
// git's transport honours.
func (l *lister) client(ctx context.Context, ep federation.Endpoint) (*httpx.Client, error) {
	if !ep.HTTP() {
		return nil, errUseGit
	}
	key := l.keyOf(ctx, ep)
	l.mu.RLock()
	c, ok := l.chosen[key]
	l.mu.RUnlock()
	if !ok {
		c, _ = l.choose(ctx, ep)
		l.mu.Lock()
		l.chosen[key] = c
		l.mu.Unlock()
	}
	if c == nil {
		return nil, errUseGit
	}
	return c, nil
}

// keyOf is what the client of ep is chosen by: its scheme and host
// when git's configuration cannot tell two repositories of one host
// apart (no http.<url>.* or credential.<url>.* key names a path, no URL
// is rewritten), else its URL. 10,000 federations are 40,000 URLs on a
// few hosts, and the settings of each were resolved anew.
func (l *lister) keyOf(ctx context.Context, ep federation.Endpoint) serverKey {
	l.byHostOnce.Do(func() {
		entries, err := l.config(ctx)
		l.byHost = err == nil && !pathScoped(entries)
	})
	// A URL that may name a user or a query is chosen for alone, by
	// choose's own reading of it.
	if l.byHost && !mayNameUser(ep.Raw) {
		return serverKey{protocol: ep.Protocol, host: ep.Host}
	}
	return serverKey{url: ep.Raw}
}

// mayNameUser reports whether raw has a character that may start a
// user or a query: "@", "?" or "#". One look at each byte: asked for
// each server of thousands of federations.
func mayNameUser(raw string) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '@', '?', '#':
			return true
		}
	}
	return false
}

// serverKey is a client's key in lister.chosen: a protocol and host, or
// a URL.
type serverKey struct{ protocol, host, url string }

// pathScoped reports whether a key of entries (git config's http and
// credential sections) may apply to one repository of a host and not to
// another: a URL key with a path. (A URL rewrite applies to none: every
// server is reached at its own URL, httpx.Resolve.)
func pathScoped(entries []gitexec.ConfigEntry) bool {
	for _, e := range entries {
		section, rest, ok := strings.Cut(e.Key, ".")
		i := strings.LastIndexByte(rest, '.')
		if !ok || i < 0 {
			continue
		}
		switch sub := rest[:i]; strings.ToLower(section) {
		case "http", "credential":
			if u, err := url.Parse(sub); err != nil || strings.Trim(u.EscapedPath(), "/") != "" {
				return true
			}
		}
	}
	return false
}

// choose decides, once per keyOf, what client lists ep.
func (l *lister) choose(ctx context.Context, ep federation.Endpoint) (*httpx.Client, error) {
	if u, err := url.Parse(ep.Raw); err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errUseGit
	}
	entries, err := l.config(ctx)
	if err != nil {
		return nil, errUseGit
	}
	// The direct push's rule: what only git's transport honours (an
	// http.* key this client cannot apply, a credential username) sends
	// the server to git.
	settings := httpx.Resolve(entries, l.getenv, ep.Raw)
	if len(settings.Unhonoured) > 0 || settings.Forbidden {
		return nil, errUseGit // git refuses a forbidden protocol in its words
	}
	key := fmt.Sprintf("%#v", settings)
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.clients[key]; ok {
		return c, nil
	}
	c, err := httpx.New(httpx.Config{Settings: settings, UserAgent: "git/" + sendpack.Agent, IdleConnsPerHost: l.work.limit})
	if err != nil {
		return nil, errUseGit // git says what is wrong with its settings
	}
	l.clients[key] = c
	return c, nil
}

// credentialFor is the user and token sent up front to ep (none when
// the chain has none, or when the token may not go there: plain http to
// another machine). useGit is a token whose username only git knows.
func (l *lister) credentialFor(ctx context.Context, ep federation.Endpoint) (cred httpx.Credential, useGit bool) {
	k := keystore.Key{Protocol: ep.Protocol, Host: ep.Host} // made canonical once, below
	l.mu.RLock()
	c, ok := l.creds[k]
	l.mu.RUnlock()
	if !ok {
		l.mu.Lock()
		if c, ok = l.creds[k]; !ok {
			c = &credential{}
			l.creds[k] = c
		}
		l.mu.Unlock()
	}
	c.once.Do(func() {
		if ep.Protocol == "http" && !hostname.IsLoopback(ep.Host) {
			return
		}
		k, err := k.Canonical()
		if err != nil {
			return // no token for a host without a canonical form
		}
		cred, err := l.tokens.Get(ctx, k)
		if err != nil || cred.Token == "" {
			return
		}
		user := cred.Username
		if user == "" {
			if user, err = keystore.ForgeUsernames(l.forge)(k); err != nil {
				c.useGit = true // git's transport says what to configure
				return
			}
		}
		l.clean.Add(user, cred.Token)
		c.basic = httpx.Basic(user, cred.Token)
	})
	return c.basic, c.useGit
}

// listed is what one attempt at a listing gave. started says the
// attempt went to a worker (lister.start), and is written before it;
// the attempt's own fields are the worker's while it runs, so that
// handing it over allocates nothing, where a closure did for every
// listing.
type listed struct {
	refs    *refs.Listing
	err     error
	started bool

	ctx     context.Context
	wg      *sync.WaitGroup
	client  *httpx.Client
	ep      federation.Endpoint
	service string
	cred    httpx.Credential
	limit   listLimit
}

// start makes one attempt at listing ep on a worker of the run and
// returns at once, the attempt queued (out.started) behind those started
// before it (queue); the attempt writes out's refs and err and calls
// wg.Done. client is the client chosen for ep, or nil
// to choose it here. A federation starts its origin's and its mirrors'
// listings from one goroutine and waits once for them all: a goroutine
// for each, handing its request to a worker and waiting for it, was 3%
// of the CPU of a run over thousands of unchanged federations. When no
// attempt starts (ep is git's to list, or ctx ended), out.err says why
// and wg is left as it was.
func (l *lister) start(ctx context.Context, wg *sync.WaitGroup, out *listed, ep federation.Endpoint, service string, limit listLimit, client *httpx.Client) {
	if client == nil {
		var err error
		if client, err = l.client(ctx, ep); err != nil {
			*out = listed{err: err}
			return
		}
	}
	cred, useGit := l.credentialFor(ctx, ep)
	if useGit {
		*out = listed{err: errUseGit}
		return
	}
	if err := ctx.Err(); err != nil {
		*out = listed{err: err}
		return
	}
	wg.Add(1)
	*out = listed{started: true, ctx: ctx, wg: wg, client: client, ep: ep, service: service, cred: cred, limit: limit}
	l.submit(out)
}

// run is the attempt t on worker w, unless t's run has ended meanwhile.
func (l *lister) run(w *worker, t *listed) {
	if t.err = t.ctx.Err(); t.err == nil {
		t.refs, t.err = l.attempt(t.ctx, w, t.client, t.ep, t.service, t.cred, t.limit)
	}
	l.work.done(t) // before Done: the host is free when the federation goes on
	wg := t.wg
	t.ctx, t.wg, t.client = nil, nil, nil // the result keeps none of them
	wg.Done()
}

// retry goes on with a listing whose first attempt gave first: a busy
// server is asked again, as gitexec.Retry would have; any other answer
// stands.
func (l *lister) retry(ctx context.Context, ep federation.Endpoint, service string, limit listLimit, first listed) (*refs.Listing, error) {
	if first.err == nil || !gitexec.IsBusy(first.err) {
		return first.refs, first.err
	}
	var last listed
	err := gitexec.RetryFrom(ctx, l.delays, first.err, func(ctx context.Context) error {
		var wg sync.WaitGroup
		l.start(ctx, &wg, &last, ep, service, limit, nil)
		wg.Wait()
		return last.err
	})
	return last.refs, err
}

// attempt is one listing request on worker w, bounded by limit.
func (l *lister) attempt(ctx context.Context, w *worker, client *httpx.Client, ep federation.Endpoint, service string, cred httpx.Credential, limit listLimit) (*refs.Listing, error) {
	var refs *refs.Listing
	var err error
	outOfTime := w.bound(ctx, limit.d, func(ctx context.Context) { refs, err = l.once(ctx, w, client, ep, service, cred) })
	if err != nil && ctx.Err() == nil && outOfTime {
		return nil, timedOut(ep, limit.d, limit.key(ep))
	}
	return refs, err
}

// submit queues t for the run's workers, started with the first.
func (l *lister) submit(t *listed) {
	l.startWork.Do(func() {
		for range l.jobs {
			go func() {
				var w worker
				defer w.stop()
				for t := l.work.next(); t != nil; t = l.work.next() {
					l.run(&w, t)
				}
			}()
		}
	})
	l.work.push(t)
}

// A worker runs listing attempts one at a time, each bounded by the
// worker's own timer, reset for every attempt, which cancels the
// worker's context when it fires: one context and one timer serve all
// the attempts of a run, where a context.WithTimeout for each (its
// timer, its context, and net/http's registration of the request's own
// context under it) was a twentieth of the CPU of a run over thousands of
// servers. It also keeps what reading each answer needs.
type worker struct {
	parent context.Context // what ctx was made from: the run's context
	ctx    context.Context // ended by timer, with errOutOfTime as its cause
	cancel context.CancelCauseFunc
	timer  *time.Timer

	body io.LimitedReader // the answer being read, within maxAdvertisement
	buf  bytes.Buffer     // what is read of it
	rest [512]byte        // what is read of an answer after its end
}

// errOutOfTime ends a worker's context when its timer fires.
var errOutOfTime = errors.New("listing attempt out of time")

// bound runs fn with a context of parent's that ends after limit, and
// reports whether it ended so.
func (w *worker) bound(parent context.Context, limit time.Duration, fn func(context.Context)) (outOfTime bool) {
	if w.ctx == nil || w.parent != parent {
		w.renew(parent, limit)
	} else {
		w.timer.Reset(limit)
	}
	fn(w.ctx)
	if w.timer.Stop() {
		return false
	}
	// The timer fired: the context is spent, for the next attempt too.
	outOfTime = errors.Is(context.Cause(w.ctx), errOutOfTime)
	w.stop()
	return outOfTime
}

// renew gives w a new context of parent's, ended after limit.
func (w *worker) renew(parent context.Context, limit time.Duration) {
	w.stop()
	ctx, cancel := context.WithCancelCause(parent)
	w.parent, w.ctx, w.cancel = parent, ctx, cancel
	w.timer = time.AfterFunc(limit, func() { cancel(errOutOfTime) })
}

// stop ends w's context and its timer.
func (w *worker) stop() {
	if w.ctx == nil {
		return
	}
	w.timer.Stop()
	w.cancel(context.Canceled)
	w.parent, w.ctx, w.cancel, w.timer = nil, nil, nil, nil
}

// once is one listing request, its answer read on w.
func (l *lister) once(ctx context.Context, w *worker, client *httpx.Client, ep federation.Endpoint, service string, cred httpx.Credential) (*refs.Listing, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, infoRefs(ep.Raw, service), nil)
	if err != nil {
		return nil, errUseGit
	}
	req.Header.Set("Pragma", "no-cache")
	resp, err := client.Do(req, cred)
	if err != nil && (errors.Is(err, httpx.ErrPlainHTTP) || errors.Is(err, httpx.ErrBadHost) || errors.As(err, new(*httpx.TLSError))) {
		return nil, errUseGit // refused before it was sent: git refuses too, or says what is wrong with its settings
	}
	l.requests.Add(1)
	if err != nil && httpx.IsRedirect(err) {
		return nil, errUseGit // git follows the redirect as it would
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		return nil, i18n.Errorf("%s: %s", ep.Host, l.clean.Clean(err.Error()))
	}
	defer w.drain(resp.Body)
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return nil, &gitexec.BusyError{Err: &sendpack.HTTPError{Host: ep.Host, Status: resp.StatusCode},
			After: gitexec.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	default:
		return nil, errUseGit // a refusal, a missing repository: git's words
	}
	want := "application/x-" + service + "-advertisement"
	if got, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(got), want) {
		return nil, errUseGit // a dumb server, or a login page
	}
	adv, err := w.read(resp.Body, service)
	if w.body.N <= 0 {
		return nil, i18n.Errorf("%s: ref advertisement larger than %d bytes", ep.Host, maxAdvertisement)
	}
	if err != nil {
		return nil, i18n.Errorf("%s: %s", ep.Host, l.clean.Clean(err.Error()))
	}
	return &adv.Listing, nil
}

// read reads a listing's answer, body, into w's buffer and parses it as
// service's advertisement: the buffer serves every listing of the
// worker, and a string is made of each answer once (the refs are pieces
// of it). It reads maxAdvertisement bytes at most: w.body.N is 0 after
// an answer that had more.
func (w *worker) read(body io.Reader, service string) (*sendpack.Advertisement, error) {
	w.body = io.LimitedReader{R: body, N: maxAdvertisement}
	defer func() {
		w.body.R = nil
		if w.buf.Cap() > 1<<20 {
			w.buf = bytes.Buffer{} // a large repository's answer is not kept for the next
		}
	}()
	return sendpack.ReadAdvertisement(&w.buf, &w.body, service)
}

// infoRefs is the URL of raw's advertisement of service. raw has no
// query and no fragment (choose sends those to git), so the URL is
// raw's text and a path: parsing and printing it again for each of
// thousands of listings cost more than the request's own headers.
func infoRefs(raw, service string) string {
	return strings.TrimSuffix(raw, "/") + "/info/refs?service=" + service
}

// timedOut is the error of a listing that did not complete within limit.
func timedOut(ep federation.Endpoint, limit time.Duration, key string) error {
	if key != "" {
		return &stall.Error{Host: ep.Host, Limit: limit, Key: key}
	}
	return i18n.Errorf("%s: the ref listing timed out after %s", ep.Host, limit)
}

// drain reads what is left of a small answer, up to 64 KiB, so that its
// connection is reused, then closes it.
func (w *worker) drain(body io.ReadCloser) {
	for n := 0; n < 64<<10; {
		m, err := body.Read(w.rest[:])
		if n += m; err != nil || m == 0 {
			break
		}
	}
	_ = body.Close()
}

// close closes the connections the lister's clients keep for the next
// listing: an engine that is done leaves none open (each holds
// goroutines and a file).
func (l *lister) close() {
	l.work.close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.clients {
		c.CloseIdleConnections()
	}
}
