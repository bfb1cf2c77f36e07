package fedsync

import (
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
	all      chan struct{} // bounds listings in flight overall (Jobs)
	hostJobs int
	getenv   func(string) string
	forge    func(host string) string
	clean    *redact.Redactor
	delays   []time.Duration
	// config reads, once, git's http, url and credential sections.
	config func(ctx context.Context) ([]gitexec.ConfigEntry, error)

	mu      sync.Mutex
	hosts   map[string]chan struct{}
	creds   map[keystore.Key]*credential
	clients map[string]*httpx.Client // by the settings they were built for
	chosen  map[string]*httpx.Client // by server URL; nil: listed by git

	requests atomic.Int64 // in-process listing requests, retries included
}

// credential is the token chain's answer for one host, asked once a run.
type credential struct {
	once        sync.Once
	user, token string
	useGit      bool // a token needs a username only git's config has
}

// hostSlots is the semaphore of one host.
func (l *lister) hostSlots(host string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.hosts[host]
	if !ok {
		s = make(chan struct{}, l.hostJobs)
		l.hosts[host] = s
	}
	return s
}

// acquire takes a slot of host, then one of the run; release gives both
// back. A listing waiting for a busy host holds no slot of the run.
func (l *lister) acquire(ctx context.Context, host string) (release func(), err error) {
	hs := l.hostSlots(host)
	select {
	case hs <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case l.all <- struct{}{}:
	case <-ctx.Done():
		<-hs
		return nil, ctx.Err()
	}
	return func() { <-l.all; <-hs }, nil
}

// eligible reports whether ep is listed in-process.
func (l *lister) eligible(ctx context.Context, ep federation.Endpoint) bool {
	_, err := l.client(ctx, ep)
	return err == nil
}

// client is the client that lists ep, or errUseGit: ep is not http(s),
// names a user, or git's configuration has a setting for it that only
// git's transport honours.
func (l *lister) client(ctx context.Context, ep federation.Endpoint) (*httpx.Client, error) {
	if !ep.HTTP() {
		return nil, errUseGit
	}
	l.mu.Lock()
	c, ok := l.chosen[ep.Raw]
	l.mu.Unlock()
	if !ok {
		c, _ = l.choose(ctx, ep)
		l.mu.Lock()
		l.chosen[ep.Raw] = c
		l.mu.Unlock()
	}
	if c == nil {
		return nil, errUseGit
	}
	return c, nil
}

// choose decides, once per server URL, what client lists ep.
func (l *lister) choose(ctx context.Context, ep federation.Endpoint) (*httpx.Client, error) {
	if u, err := url.Parse(ep.Raw); err != nil || u.User != nil || u.RawQuery != "" {
		return nil, errUseGit
	}
	entries, err := l.config(ctx)
	if err != nil {
		return nil, errUseGit
	}
	// The direct push's rule: what only git's transport honours (an
	// http.* key this client cannot apply, a URL rewrite, a credential
	// username) sends the server to git.
	settings := httpx.Resolve(entries, l.getenv, ep.Raw)
	if len(settings.Unhonoured) > 0 {
		return nil, errUseGit
	}
	key := fmt.Sprintf("%#v", settings)
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.clients[key]; ok {
		return c, nil
	}
	c, err := httpx.New(httpx.Config{Settings: settings, UserAgent: "git/" + sendpack.Agent, IdleConnsPerHost: l.hostJobs})
	if err != nil {
		return nil, errUseGit // git says what is wrong with its settings
	}
	l.clients[key] = c
	return c, nil
}

// credentialFor is the user and token sent up front to ep ("" when the
// chain has none, or when the token may not go there: plain http to
// another machine). useGit is a token whose username only git knows.
func (l *lister) credentialFor(ctx context.Context, ep federation.Endpoint) (user, token string, useGit bool) {
	if ep.Protocol == "http" && !hostname.IsLoopback(ep.Host) {
		return "", "", false
	}
	k := keystore.Key{Protocol: ep.Protocol, Host: ep.Host} // made canonical once, below
	l.mu.Lock()
	c, ok := l.creds[k]
	if !ok {
		c = &credential{}
		l.creds[k] = c
	}
	l.mu.Unlock()
	c.once.Do(func() {
		k, err := k.Canonical()
		if err != nil {
			return // no token for a host without a canonical form
		}
		cred, err := keystore.Default(keystore.Options{Getenv: l.getenv, Forge: l.forge}).Get(ctx, k)
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
		c.user, c.token = user, cred.Token
	})
	return c.user, c.token, c.useGit
}

// list asks ep for its refs for service, retrying a busy server with the
// busy policy of gitexec (at least as long as it asks in Retry-After).
// errUseGit means git must list it.
//
// limit bounds each attempt; key, when set, is the config key that sets
// it (federation.<name>.timeout), which the error of a server that does
// not answer in time names.
func (l *lister) list(ctx context.Context, ep federation.Endpoint, service string, limit time.Duration, key string) (*refs.Listing, error) {
	client, err := l.client(ctx, ep)
	if err != nil {
		return nil, err
	}
	user, token, useGit := l.credentialFor(ctx, ep)
	if useGit {
		return nil, errUseGit
	}
	var refs *refs.Listing
	err = gitexec.Retry(ctx, l.delays, func(ctx context.Context) error {
		release, err := l.acquire(ctx, ep.Host)
		if err != nil {
			return err
		}
		defer release()
		actx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		refs, err = l.once(actx, client, ep, service, httpx.Basic(user, token))
		if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			return timedOut(ep, limit, key)
		}
		return err
	})
	return refs, err
}

// once is one listing request.
func (l *lister) once(ctx context.Context, client *httpx.Client, ep federation.Endpoint, service string, cred httpx.Credential) (*refs.Listing, error) {
	u, err := url.Parse(ep.Raw)
	if err != nil {
		return nil, errUseGit
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/info/refs"
	u.RawPath, u.RawQuery, u.Fragment = "", "service="+service, ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errUseGit
	}
	req.Header.Set("Pragma", "no-cache")
	l.requests.Add(1)
	resp, err := client.Do(req, cred)
	if httpx.IsRedirect(err) || errors.Is(err, httpx.ErrPlainHTTP) || errors.Is(err, httpx.ErrBadHost) {
		return nil, errUseGit // git follows the redirect as it would, or refuses
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		return nil, i18n.Errorf("%s: %s", ep.Host, l.clean.Clean(err.Error()))
	}
	defer drain(resp.Body)
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return nil, &gitexec.BusyError{Err: &sendpack.HTTPError{Host: ep.Host, Status: resp.StatusCode},
			After: gitexec.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	default:
		return nil, errUseGit // a refusal, a missing repository: git's words
	}
	want := "application/x-" + service + "-advertisement"
	if got := resp.Header.Get("Content-Type"); !strings.EqualFold(strings.TrimSpace(strings.Split(got, ";")[0]), want) {
		return nil, errUseGit // a dumb server, or a login page
	}
	lr := &io.LimitedReader{R: resp.Body, N: maxAdvertisement}
	adv, err := sendpack.ParseServiceAdvertisement(lr, service)
	if lr.N <= 0 {
		return nil, i18n.Errorf("%s: ref advertisement larger than %d bytes", ep.Host, maxAdvertisement)
	}
	if err != nil {
		return nil, i18n.Errorf("%s: %s", ep.Host, l.clean.Clean(err.Error()))
	}
	return &adv.Listing, nil
}

// timedOut is the error of a listing that did not complete within limit.
func timedOut(ep federation.Endpoint, limit time.Duration, key string) error {
	if key != "" {
		return &stall.Error{Host: ep.Host, Limit: limit, Key: key}
	}
	return i18n.Errorf("%s: the ref listing timed out after %s", ep.Host, limit)
}

// drain reads what is left of a small answer so that its connection is
// reused, then closes it.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

// close closes the connections the lister's clients keep for the next
// listing: an engine that is done leaves none open (each holds
// goroutines and a file).
func (l *lister) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.clients {
		c.CloseIdleConnections()
	}
}
