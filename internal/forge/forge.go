// Package forge talks to the web APIs of git forges (GitHub, GitLab,
// Gitee, Gitea), only as far as this program needs: checking whom a token
// belongs to, listing an owner's repositories, and creating a missing
// mirror repository. Tokens travel in a request header only; no URL, log
// line or error text ever holds one.
package forge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// ErrUnauthorized means the forge refused the token (401).
var ErrUnauthorized = i18n.Errorf("token refused by the forge")

// ErrForbidden means the token works but may not do this (403): it lacks
// a scope or the account lacks the right.
var ErrForbidden = i18n.Errorf("token not allowed to do this")

// ErrNotFound means the forge has no such owner or repository (404), or
// hides it from this token.
var ErrNotFound = i18n.Errorf("not found on the forge")

// ErrExists means the repository to create already exists.
var ErrExists = i18n.Errorf("repository already exists")

// ErrUnsupported means the forge has no API this package knows.
var ErrUnsupported = i18n.Errorf("no API known for this forge")

// StatusError is an API answer other than 2xx.
type StatusError struct {
	Status int
	API    string // the API base, never a URL with a token
	// Method and Path name the call ("GET", "/orgs/apache/repos"): they
	// never hold a token, which only ever travels in a header.
	Method, Path string
	// Message is the forge's own short explanation, if it gave one.
	Message string
	// RateLimited says the forge refused for a spent request budget
	// (429, or 403 with none left): it matches ErrRateLimited, not
	// ErrForbidden. Reset is when the forge said to come back (zero: it
	// did not).
	RateLimited bool
	Reset       time.Time
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s answered HTTP %d", e.API, e.Status)
	if e.Path != "" {
		msg = fmt.Sprintf("%s %s%s answered HTTP %d", e.Method, e.API, e.Path, e.Status)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if !e.Reset.IsZero() {
		msg += fmt.Sprintf(" (rate limit: come back at %s)", clock(e.Reset))
	}
	return msg
}

// Localize is the error in p's language.
func (e *StatusError) Localize(p *i18n.Printer) string {
	msg := p.Sprintf("%s answered HTTP %d", e.API, e.Status)
	if e.Path != "" {
		msg = p.Sprintf("%s %s%s answered HTTP %d", e.Method, e.API, e.Path, e.Status)
	}
	if e.Message != "" {
		msg += p.Sprintf(": %s", e.Message)
	}
	if !e.Reset.IsZero() {
		msg += p.Sprintf(" (rate limit: come back at %s)", clock(e.Reset))
	}
	return msg
}

// Is makes a 401 match ErrUnauthorized, 403 ErrForbidden (unless the
// budget was spent), 404 ErrNotFound and a spent budget ErrRateLimited.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden && !e.RateLimited
	case ErrRateLimited:
		return e.RateLimited
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	}
	return false
}

// Known reports whether forge has an API this package can use.
func Known(forge string) bool {
	switch forge {
	case GitHub, GitLab, Gitee, Gitea:
		return true
	}
	return false
}

// APIBase is the API root of forge for hostURL ("https://host[:port]"):
// override when set (from [federate "<url>"] api), else the forge's
// usual place.
func APIBase(forge, hostURL, override string) (string, error) {
	if override != "" {
		return strings.TrimSuffix(override, "/"), nil
	}
	switch forge {
	case GitHub:
		if hostURL == "https://github.com" {
			return "https://api.github.com", nil
		}
		return hostURL + "/api/v3", nil // GitHub Enterprise Server
	case GitLab:
		return hostURL + "/api/v4", nil
	case Gitee:
		return "https://gitee.com/api/v5", nil
	case Gitea:
		return hostURL + "/api/v1", nil
	}
	return "", i18n.Errorf("%w: %q", ErrUnsupported, forge)
}

// DefaultTimeout bounds one API call when Client.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// Client calls a forge API. Every call goes through internal/httpx, the
// one client that carries tokens: no token over plain http except to
// this machine, redirects followed only within the API's origin.
type Client struct {
	// HTTP, when set, lends its Transport (tests count requests with
	// one) and its time limit; nil means httpx's own transport.
	HTTP *http.Client
	// Settings gives git's http configuration for an API URL (proxy,
	// certificates, extra headers: httpx.ResolverOf over the caller's
	// git config), so that a forge's API is reached as git reaches its
	// repositories; nil means git's environment alone (https_proxy,
	// GIT_SSL_CAINFO …).
	Settings httpx.SettingsFor
	// Timeout bounds each call, reading its answer included: a forge
	// that accepts the connection and never answers must not hold a
	// sync or a login forever. 0 means the HTTP client's own limit, or
	// DefaultTimeout when it has none.
	Timeout time.Duration
	// PerPage is the page size asked for when listing; 0 means the
	// forge's maximum (100; Gitea 50).
	PerPage int
	// MaxPages bounds how many pages one listing follows; 0 means 100.
	MaxPages int
	// Jobs bounds the pages of one listing fetched at once, when the
	// forge says how many there are; 0 means DefaultPageJobs.
	Jobs int
	// Delays are the waits between attempts at a page the forge answered
	// busy (429, 503, a spent budget coming back soon); nil means
	// gitexec.DefaultDelays. A Retry-After longer than a delay is waited.
	Delays []time.Duration
	// Log takes a debug line for each listing page: its number and the
	// request budget the forge said is left (never a token). nil logs
	// nothing.
	Log *slog.Logger
	// Warnf reports, once per listing, a request budget running low, with
	// the listing slowing down for it; nil drops the note.
	Warnf func(format string, args ...any)
}

// User is who a token belongs to.
type User struct {
	Login string
}

// CurrentUser asks forge's API at base who token belongs to: GET
// <base>/user.
func (c Client) CurrentUser(ctx context.Context, forge, base, token string) (User, error) {
	if !Known(forge) {
		return User{}, i18n.Errorf("%w: %q", ErrUnsupported, forge)
	}
	var body struct {
		Login    string `json:"login"`
		Username string `json:"username"`
	}
	if _, err := c.call(ctx, request{forge: forge, base: base, method: http.MethodGet, path: "/user", token: token}, &body); err != nil {
		return User{}, err
	}
	if body.Login == "" {
		body.Login = body.Username // GitLab
	}
	return User{Login: body.Login}, nil
}

// request is one API call.
type request struct {
	forge, base, method, path string
	query                     url.Values
	body                      any
	token                     string
	// next, when set, is a full URL from a Link header to GET instead.
	next string
	// hc, when set, sends the call: a listing's pages share one client
	// and its connections.
	hc *httpx.Client
}

// credential is token the way forge takes it. GitLab wants
// PRIVATE-TOKEN for personal, group and project tokens; GitHub, Gitee
// and Gitea take an Authorization header (Gitee documents an access_token
// parameter too, but a URL is where tokens leak from, and its API takes
// the OAuth-style Bearer header for personal tokens as well).
func credential(forge, token string) httpx.Credential {
	if token == "" {
		return httpx.Credential{}
	}
	switch forge {
	case GitLab:
		return httpx.Header("PRIVATE-TOKEN", token)
	case Gitea:
		return httpx.Header("Authorization", "token "+token)
	}
	return httpx.Header("Authorization", "Bearer "+token)
}

// call sends r and decodes a 2xx JSON answer into out (when not nil). It
// returns the answer's headers, for pagination and the rate limit, also
// with the error of an answer other than 2xx (see answerError).
func (c Client) call(ctx context.Context, r request, out any) (http.Header, error) {
	target := r.next
	if target == "" {
		u, err := url.Parse(r.base + r.path)
		if err != nil {
			return nil, i18n.Errorf("bad API URL %q: %w", r.base, err)
		}
		u.RawQuery = r.query.Encode()
		target = u.String()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, i18n.Errorf("bad API URL %q: %w", r.base, err)
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := r.hc
	if hc == nil {
		if hc, err = c.client(target); err != nil {
			return nil, err
		}
		defer hc.CloseIdleConnections()
	}
	resp, err := hc.Do(req, credential(r.forge, r.token))
	if err != nil {
		// *url.Error quotes the request URL; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, i18n.Errorf("%s %s%s: %w", r.method, r.base, r.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, i18n.Errorf("%s %s%s: %w", r.method, r.base, r.path, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.Header, answerError(&StatusError{Status: resp.StatusCode, API: r.base, Method: r.method, Path: r.path,
			Message: apiMessage(data, r.token)}, resp.Header, time.Now())
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, i18n.Errorf("%s %s%s: bad JSON: %w", r.method, r.base, r.path, err)
		}
	}
	return resp.Header, nil
}

// client is the httpx client for one call to target, always with a time
// limit (see Timeout), with git's http settings for it (Settings).
func (c Client) client(target string) (*httpx.Client, error) {
	settings := c.Settings
	if settings == nil {
		settings = httpx.ResolverOf(nil, gitexec.Getenv(nil))
	}
	cfg := httpx.Config{Settings: settings(target), Timeout: c.timeout(), UserAgent: "git-remote-federate"}
	if c.HTTP != nil {
		cfg.Transport = c.HTTP.Transport
	}
	return httpx.New(cfg)
}

// timeout bounds one call: Timeout, else the caller's client's own
// limit, else DefaultTimeout.
func (c Client) timeout() time.Duration {
	switch {
	case c.Timeout > 0:
		return c.Timeout
	case c.HTTP != nil && c.HTTP.Timeout > 0:
		return c.HTTP.Timeout
	}
	return DefaultTimeout
}

// apiMessage is the forge's error message from a JSON body, one line,
// at most 200 bytes, cleaned: the token masked should a forge echo it,
// control characters dropped.
// Forges disagree on the shape: {"message":"…"}, {"error":"…"}, GitLab's
// {"message":{"name":["has already been taken"]}}, GitHub's
// {"message":"…","errors":[{"message":"name already exists…"}]}.
func apiMessage(data []byte, token string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"message", "error", "errors"} {
		raw, ok := m[k]
		if !ok || string(raw) == "null" {
			continue
		}
		var s string
		var list []struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(raw, &s) == nil:
			parts = append(parts, s)
		case json.Unmarshal(raw, &list) == nil:
			for _, e := range list {
				parts = append(parts, e.Message)
			}
		default:
			parts = append(parts, string(raw))
		}
	}
	r := redact.New()
	r.Add("", token)
	msg := strings.Join(strings.Fields(r.Clean(strings.Join(parts, " "))), " ")
	if len(msg) > 200 {
		msg = msg[:200]
		for !utf8.ValidString(msg) { // do not cut a character in half
			msg = msg[:len(msg)-1]
		}
		msg += "…"
	}
	return msg
}
