package httpx

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// TLSError is the error of a request that needs TLS (an https URL, or
// an https proxy) when git's TLS settings for it cannot be applied: a CA
// file or a client certificate that cannot be read. Its text is the
// cause's, which names the file; git's transport fails on the same
// settings, in its words.
type TLSError struct{ Err error }

func (e *TLSError) Error() string { return e.Err.Error() }

// Localize says e in p's language.
func (e *TLSError) Localize(p *i18n.Printer) string { return p.Error(e.Err) }

// Unwrap is the cause.
func (e *TLSError) Unwrap() error { return e.Err }

// CheckTLS reports, ahead of a request to rawURL, the *TLSError it
// would fail with: when it needs TLS (needsTLS) and git's settings name
// a CA file or client certificate that cannot be read. It builds the
// client for TLS as that request would, and keeps it for the requests:
// the files are read once.
func (c *Client) CheckTLS(rawURL string) error {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return nil // the request itself says what is wrong with the URL
	}
	_, err = c.http.forRequest(req)
	return err
}

// needsTLS is the one rule for which requests go over TLS: to an https
// URL, or through an https proxy.
func needsTLS(u, proxy *url.URL) bool {
	return strings.EqualFold(u.Scheme, "https") || proxy != nil && strings.EqualFold(proxy.Scheme, "https")
}

// clients are a Client's http.Clients: plain-http requests go through
// one, and the one for TLS is built by the first request that needs it.
// Reading and parsing a CA bundle (GIT_SSL_CAINFO, set on many CI
// machines) was most of a sync's start, for servers that are all plain
// http. Each carries net/http's own *http.Transport: with a RoundTripper
// of ours in between, net/http bounded a request's time twice, and a
// Config.Timeout that ran out read as a cancelled context.
type clients struct {
	plain *http.Client
	// newTLS builds the client for TLS (nil: the caller's own
	// Config.Transport carries every request).
	newTLS func() (*http.Client, error)
	once   sync.Once
	tls    atomic.Pointer[http.Client] // set once built
	tlsErr error                       // written in once
}

// baseTransport is net/http's default transport (HTTP/2 where the server
// offers it) with proxy and the idle bound (0: net/http's default).
func baseTransport(proxy func(*http.Request) (*url.URL, error), idlePerHost int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = proxy
	if idlePerHost > 0 {
		t.MaxIdleConnsPerHost = idlePerHost
	}
	return t
}

// forRequest is the client that carries req: the one for TLS when req
// needs it (needsTLS, with the proxy chosen for req), else the plain one.
func (cs *clients) forRequest(req *http.Request) (*http.Client, error) {
	if cs.newTLS == nil {
		return cs.plain, nil
	}
	var proxy *url.URL
	if t, ok := cs.plain.Transport.(*http.Transport); ok && t.Proxy != nil {
		proxy, _ = t.Proxy(req)
	}
	if !needsTLS(req.URL, proxy) {
		return cs.plain, nil
	}
	cs.once.Do(func() {
		c, err := cs.newTLS()
		if err != nil {
			cs.tlsErr = &TLSError{Err: err}
			return
		}
		cs.tls.Store(c)
	})
	return cs.tls.Load(), cs.tlsErr
}

// CloseIdleConnections closes the idle connections of both clients.
func (cs *clients) CloseIdleConnections() {
	cs.plain.CloseIdleConnections()
	if c := cs.tls.Load(); c != nil {
		c.CloseIdleConnections()
	}
}

// send is hc.Do(req), with the same answer, the same requests and the
// same errors. A request with nothing for the http.Client to add (no
// body, no cookie jar, no time limit, no user in its URL, its headers
// made) goes to hc's transport first: the client's own work for every
// request (a copy of the headers for the redirects it might follow, its
// bookkeeping) was a twentieth of the CPU of a sync over thousands of
// listings. An answer
// that may redirect, and an error, are handed to hc itself through
// answered, so that net/http follows or words them and the one redirect
// rule (checkRedirect) decides, without the request being sent again.
func send(hc *http.Client, req *http.Request) (*http.Response, error) {
	if hc.Transport == nil || hc.Jar != nil || hc.Timeout != 0 || req.URL.User != nil || req.Header == nil ||
		req.Body != nil && req.Body != http.NoBody {
		return hc.Do(req)
	}
	resp, err := hc.Transport.RoundTrip(req)
	if err == nil && (resp.StatusCode < 300 || resp.StatusCode > 399) {
		return resp, nil
	}
	replay := *hc
	replay.Transport = &answered{resp: resp, err: err, rt: hc.Transport}
	return replay.Do(req)
}

// answered is a transport whose first request has been sent already: it
// answers it with what came back (resp or err) and sends the requests
// after it (the redirects followed) by rt.
type answered struct {
	resp *http.Response
	err  error
	rt   http.RoundTripper
	used bool // one Do, one goroutine
}

// RoundTrip implements http.RoundTripper.
func (a *answered) RoundTrip(req *http.Request) (*http.Response, error) {
	if !a.used {
		a.used = true
		return a.resp, a.err
	}
	return a.rt.RoundTrip(req)
}
