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

// CheckTLS reports, ahead of a request to rawURL through a client built
// for git's settings s, the *TLSError it would fail with: when it needs
// TLS (needsTLS) and s names a CA file or client certificate that cannot
// be read. It reads the files, as that request would.
func CheckTLS(s Settings, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil // the request itself says what is wrong with the URL
	}
	proxy, _ := proxyURL(s)
	if !needsTLS(u, proxy) {
		return nil
	}
	if _, err := tlsConfig(s); err != nil {
		return &TLSError{Err: err}
	}
	return nil
}

// needsTLS is the one rule for which requests go over TLS: to an https
// URL, or through an https proxy.
func needsTLS(u, proxy *url.URL) bool {
	return strings.EqualFold(u.Scheme, "https") || proxy != nil && strings.EqualFold(proxy.Scheme, "https")
}

// transport is a client's round tripper: plain-http requests go through
// one *http.Transport, and the one for TLS is built by the first request
// that needs it. Reading and parsing a CA bundle (GIT_SSL_CAINFO, set on
// many CI machines) was most of a sync's start, for servers that are all
// plain http. Both have the same proxy rule and idle bound.
type transport struct {
	plain    *http.Transport
	settings Settings
	once     sync.Once
	tls      atomic.Pointer[http.Transport] // set once built
	tlsErr   error                          // written in once
}

func newTransport(s Settings, proxy func(*http.Request) (*url.URL, error), idlePerHost int) *transport {
	return &transport{plain: baseTransport(proxy, idlePerHost), settings: s}
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

// RoundTrip sends req through the transport it needs: TLS for an https
// URL or through an https proxy, else plain.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.needsTLS(req) {
		return t.plain.RoundTrip(req)
	}
	tt, err := t.secure()
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // as a RoundTripper must, on any error
		}
		return nil, err
	}
	return tt.RoundTrip(req)
}

// secure is the TLS transport, built on the first call; the *TLSError of
// git's settings when they cannot be applied (every call: the files are
// read once).
func (t *transport) secure() (*http.Transport, error) {
	t.once.Do(func() {
		cfg, err := tlsConfig(t.settings)
		if err != nil {
			t.tlsErr = &TLSError{Err: err}
			return
		}
		tt := baseTransport(t.plain.Proxy, t.plain.MaxIdleConnsPerHost)
		tt.TLSClientConfig = cfg
		t.tls.Store(tt)
	})
	return t.tls.Load(), t.tlsErr
}

// needsTLS reports whether req goes over TLS (the package's needsTLS,
// with the proxy chosen for req). Anything else is the plain
// transport's (which refuses a scheme it does not know, as before).
func (t *transport) needsTLS(req *http.Request) bool {
	var proxy *url.URL
	if t.plain.Proxy != nil {
		proxy, _ = t.plain.Proxy(req)
	}
	return needsTLS(req.URL, proxy)
}

// CloseIdleConnections closes the idle connections of both transports.
func (t *transport) CloseIdleConnections() {
	t.plain.CloseIdleConnections()
	if tt := t.tls.Load(); tt != nil {
		tt.CloseIdleConnections()
	}
}
