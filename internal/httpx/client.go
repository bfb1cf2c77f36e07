package httpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
)

// carriesToken marks, in a request's context, a request that carries a
// credential over plain http: the proxy function sends it direct.
type carriesToken struct{}

func newClient(cfg Config) (*Client, error) {
	if lt := cfg.Settings.LowSpeedTime; lt > 0 && (cfg.Stall == nil || cfg.Stall.Limit <= 0 || lt < cfg.Stall.Limit) {
		e := stall.Error{Limit: lt, Key: "http.lowSpeedTime"}
		if cfg.Stall != nil {
			e.LFS = cfg.Stall.LFS
		}
		cfg.Stall = &e
	}
	c := &Client{cfg: cfg, allowed: map[server]error{}}
	var err error
	if c.jar, err = loadJar(cfg.Settings.CookieFile); err != nil {
		return nil, err
	}
	if cfg.Transport != nil {
		c.http = &clients{plain: c.httpClient(cfg.Transport)}
		return c, nil
	}
	// The TLS configuration is read by the first request that needs it:
	// see clients.
	c.http = &clients{
		plain: c.httpClient(baseTransport(c.proxy, cfg.IdleConnsPerHost)),
		newTLS: func() (*http.Client, error) {
			tlsCfg, err := tlsConfig(cfg.Settings)
			if err != nil {
				return nil, err
			}
			t := baseTransport(c.proxy, cfg.IdleConnsPerHost)
			t.TLSClientConfig = tlsCfg
			return c.httpClient(t), nil
		},
	}
	return c, nil
}

// httpClient is an http.Client of c over rt: the redirect rule, the time
// limit and the cookie jar.
func (c *Client) httpClient(rt http.RoundTripper) *http.Client {
	hc := &http.Client{Transport: rt, CheckRedirect: checkRedirect, Timeout: c.cfg.Timeout}
	if c.jar != nil {
		hc.Jar = c.jar
	}
	return hc
}

// tlsConfig is the one TLS configuration: at least TLS 1.2, the roots
// and client certificate git's settings name.
func tlsConfig(s Settings) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.SSLNoVerify} //nolint:gosec // as git's http.sslVerify=false
	if s.CAInfo != "" || s.CAPath != "" {
		pool := x509.NewCertPool()
		if s.CAInfo != "" {
			pem, err := os.ReadFile(s.CAInfo)
			if err != nil {
				return nil, err
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, i18n.Errorf("%s: no certificate found", s.CAInfo)
			}
		}
		if s.CAPath != "" {
			files, _ := filepath.Glob(filepath.Join(s.CAPath, "*"))
			for _, f := range files {
				if pem, err := os.ReadFile(f); err == nil {
					pool.AppendCertsFromPEM(pem)
				}
			}
		}
		cfg.RootCAs = pool
	}
	if s.SSLCert != "" {
		key := s.SSLKey
		if key == "" {
			key = s.SSLCert // curl reads the key from the certificate file then
		}
		cert, err := tls.LoadX509KeyPair(s.SSLCert, key)
		if err != nil {
			return nil, i18n.Errorf("client certificate %s: %w", s.SSLCert, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// proxy is the proxy for req: the one git's settings name, except for a
// request carrying a token over plain http, which never goes through a
// proxy (the proxy would read the token).
func (c *Client) proxy(req *http.Request) (*url.URL, error) {
	if c.cfg.Settings.Proxy == "" || req.Context().Value(carriesToken{}) != nil {
		return nil, nil
	}
	return proxyURL(c.cfg.Settings)
}

// proxyURL is the proxy git's settings s name, nil for none.
func proxyURL(s Settings) (*url.URL, error) {
	if s.Proxy == "" {
		return nil, nil
	}
	p := s.Proxy
	if !strings.Contains(p, "://") {
		p = "http://" + p // as curl reads a proxy without a scheme
	}
	return url.Parse(p)
}

func (c *Client) do(req *http.Request, cred Credential) (*http.Response, error) {
	if !cred.IsZero() {
		if err := c.checkToken(req.URL); err != nil {
			return nil, err
		}
		if c.cfg.Settings.Proxy != "" && !strings.EqualFold(req.URL.Scheme, "https") {
			// Marked only when there is a proxy to keep it from: a
			// copy of every request was a tenth of a sync's listing.
			req = req.WithContext(context.WithValue(req.Context(), carriesToken{}, true))
		}
		req.Header.Set(cred.name, cred.value)
	}
	c.headers(req)
	hc, err := c.http.forRequest(req)
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // as http.Client.Do does on any error
		}
		return nil, err // a *TLSError, as New said it when it read the files itself
	}
	var resp *http.Response
	if s := c.cfg.Stall; s != nil && s.Limit > 0 {
		e := *s
		e.Host = req.URL.Host
		resp, err = stall.Do(hc, req, e.Limit, &e)
		if se := (*stall.Error)(nil); errors.As(err, &se) {
			return nil, se
		}
	} else {
		resp, err = send(hc, req)
	}
	if re := (*RedirectError)(nil); errors.As(err, &re) {
		return nil, re
	}
	if err == nil && c.jar != nil && c.cfg.Settings.SaveCookies {
		// As git at the end of a command; a file that cannot be written
		// costs the next command its session, not this one its answer.
		_ = c.saveCookies()
	}
	return resp, err
}

// checkToken is the package's checkToken, remembered for u's scheme and
// host.
func (c *Client) checkToken(u *url.URL) error {
	key := server{u.Scheme, u.Host}
	c.mu.RLock()
	err, ok := c.allowed[key]
	c.mu.RUnlock()
	if ok {
		return err
	}
	err = checkToken(u)
	c.mu.Lock()
	c.allowed[key] = err
	c.mu.Unlock()
	return err
}

// server is a scheme and a host, as a URL says them.
type server struct{ scheme, host string }

func checkToken(u *url.URL) error {
	if _, err := hostname.Canonical(u.Host); err != nil {
		return i18n.Errorf("%w: %q", ErrBadHost, u.Host)
	}
	switch {
	case strings.EqualFold(u.Scheme, "https"):
		return nil
	case strings.EqualFold(u.Scheme, "http") && hostname.IsLoopback(u.Host):
		return nil
	}
	return i18n.Errorf("%s: %w", u.Host, ErrPlainHTTP)
}

// headers adds git's extra headers and the user agent.
func (c *Client) headers(req *http.Request) {
	s := c.cfg.Settings
	for _, h := range s.ExtraHeaders {
		if name, value, ok := strings.Cut(h, ":"); ok {
			req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
	}
	switch {
	case s.UserAgent != "":
		req.Header.Set("User-Agent", s.UserAgent)
	case req.Header.Get("User-Agent") == "" && c.cfg.UserAgent != "":
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
}

// checkRedirect is the one redirect rule: a GET or HEAD follows at most
// MaxRedirects redirects within its origin; anything else stops with a
// *RedirectError.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	re := &RedirectError{From: first.URL.Host, To: shown(req.URL)}
	if req.Response != nil {
		re.Status = req.Response.StatusCode
	}
	if len(via) > MaxRedirects || (first.Method != http.MethodGet && first.Method != http.MethodHead) {
		return re
	}
	a, err1 := hostname.Origin(first.URL.Scheme, first.URL.Host)
	b, err2 := hostname.Origin(req.URL.Scheme, req.URL.Host)
	if err1 != nil || err2 != nil || a != b {
		return re
	}
	return nil
}

// shown is u as an error may show it: no user info, no query.
func shown(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.Fragment = nil, "", ""
	return v.String()
}
