// Package httpx is the one HTTP client of this program that carries
// tokens: the direct push (internal/sendpack), the LFS client
// (internal/lfs) and the forge APIs (internal/forge) all send through
// it, so that one set of rules decides where a token may go:
//
//   - every host is canonicalised once (internal/hostname) before any
//     decision: a host without a canonical form gets no token;
//   - a token goes over plain http only to this machine (loopback), and
//     a request carrying one over plain http never goes through a proxy;
//   - redirects: a GET or HEAD is followed at most MaxRedirects times,
//     and only to the same origin (canonical scheme, host and port); any
//     other redirect is not followed and is a *RedirectError, so that a
//     caller can hand the server to git's transport;
//   - TLS, proxy, extra headers, cookies and the user agent come from
//     git's http configuration for the URL (Resolve), as git applies it;
//     the TLS part (CA files, client certificate) is read by the first
//     request that needs TLS, and a request when it cannot be read fails
//     with a *TLSError: a client of plain-http servers reads no CA
//     bundle.
package httpx

import (
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
)

// MaxRedirects is how many redirects one request follows.
const MaxRedirects = 3

// ErrPlainHTTP is wrapped by the error of a request that would carry a
// token over plain http to a host other than this machine: it is not
// sent.
var ErrPlainHTTP = i18n.Errorf("no token is sent over plain http except to 127.0.0.1 or localhost: use https")

// ErrBadHost is wrapped by the error of a request that would carry a
// token to a host without a canonical form (hostname.Canonical): it is
// not sent.
var ErrBadHost = i18n.Errorf("no token is sent to a host name that has no ASCII form")

// RedirectError is a redirect the client did not follow: to another
// origin, of a request with a body, or one too many.
type RedirectError struct {
	// From is the host that redirected; To the URL it named, without
	// user info or query.
	From, To string
	// Status is the redirect's HTTP status.
	Status int
}

func (e *RedirectError) Error() string { return e.Localize(nil) }

// Localize says e in p's language.
func (e *RedirectError) Localize(p *i18n.Printer) string {
	return i18n.M("%s redirected the request to %s; not followed, so that the token goes to no other server", e.From, e.To).Localize(p)
}

// Credential proves who sends a request: one header, which the client
// adds only where the rules allow. The zero Credential sends nothing.
type Credential struct{ name, value string }

// Basic is user and token as HTTP Basic authorization, as git sends
// what credential helpers give it.
func Basic(user, token string) Credential {
	if token == "" {
		return Credential{}
	}
	r := http.Request{Header: http.Header{}}
	r.SetBasicAuth(user, token)
	return Credential{name: "Authorization", value: r.Header.Get("Authorization")}
}

// Header is a token sent in header name with value (a forge's
// "Authorization: Bearer …" or GitLab's "PRIVATE-TOKEN").
func Header(name, value string) Credential { return Credential{name: name, value: value} }

// IsZero reports whether c sends nothing.
func (c Credential) IsZero() bool { return c.value == "" }

// Config says how to build a Client.
type Config struct {
	// Settings is git's http configuration for the server (Resolve);
	// the zero value verifies certificates against the system's roots
	// and uses no proxy.
	Settings Settings
	// Stall, when its Limit is set, gives up a request whose server
	// moves no byte either way for that long, with a copy of *Stall
	// naming the request's host (internal/stall).
	Stall *stall.Error
	// Timeout, when set, bounds each request, reading its answer
	// included.
	Timeout time.Duration
	// UserAgent is sent when git's configuration names none.
	UserAgent string
	// Transport, when set, replaces the client's own (a test counting
	// requests); the TLS and proxy settings are then its own. The token,
	// redirect and header rules still apply.
	Transport http.RoundTripper
	// IdleConnsPerHost is how many idle connections to one host are
	// kept for reuse; 0 is net/http's default (2). A caller running
	// more requests at once to a host sets it to that bound.
	IdleConnsPerHost int
}

// Client sends requests under the rules of the package. It is safe for
// concurrent use.
type Client struct {
	cfg  Config
	http *clients
	jar  *jar
	// allowed remembers checkToken's verdict by scheme and host: sync
	// sends thousands of requests to a few hosts, and making each host
	// canonical again was a tenth of its work.
	mu      sync.RWMutex
	allowed map[server]error // nil: a token may go
}

// New builds the client for cfg: its proxy and cookie jar. Its TLS
// configuration is built by the first request that needs TLS (an https
// URL, or an https proxy), which fails with a *TLSError when git's
// settings name a CA file or client certificate that cannot be read
// (CheckTLS says so ahead).
func New(cfg Config) (*Client, error) { return newClient(cfg) }

// Do sends req carrying cred, under the rules of the package, and
// returns the answer; the caller closes its body. A request the rules
// refuse is not sent: the error wraps ErrPlainHTTP or ErrBadHost. A
// redirect not followed is a *RedirectError; a stalled server the
// Config's *stall.Error; git's TLS settings that cannot be applied a
// *TLSError. req's own headers are sent as given (an LFS
// server's action headers), cred only when allowed.
func (c *Client) Do(req *http.Request, cred Credential) (*http.Response, error) {
	return c.do(req, cred)
}

// CloseIdleConnections closes the connections kept for the next
// request, for a client that will not be used again.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// SaveCookies writes the cookies received to the cookie file when git's
// configuration says so (http.cookieFile with http.saveCookies), as git
// does at the end of a command.
func (c *Client) SaveCookies() error { return c.saveCookies() }

// IsRedirect reports whether err is a redirect that was not followed.
func IsRedirect(err error) bool {
	var re *RedirectError
	return errors.As(err, &re)
}

// CheckToken reports whether a request to u may carry a token: nil for
// https to a host with a canonical form, and for plain http to this
// machine (loopback); else an error wrapping ErrPlainHTTP or ErrBadHost.
// Do applies the same rule to every request.
func CheckToken(u *url.URL) error { return checkToken(u) }
