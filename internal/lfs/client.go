package lfs

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// ErrUnsupported is a server whose repository has no LFS batch API (it
// answers 404 or 501): objects cannot go there.
var ErrUnsupported = i18n.Errorf("the server does not support Git LFS")

const mediaType = "application/vnd.git-lfs+json"

// batchSize is how many objects one batch request names; servers limit
// it (GitHub to 100).
const batchSize = 100

// Credentials returns the username and token for url; empty values mean
// none is known and the request goes without.
type Credentials func(ctx context.Context, url string) (user, token string, err error)

// Client talks to one repository's LFS server.
type Client struct {
	// Endpoint is the LFS URL, "<repository>.git/info/lfs".
	Endpoint string
	// Creds gives the token for Endpoint's host; nil sends none.
	Creds Credentials
	// HTTP is git's http configuration for a URL (httpx.Resolve over
	// the caller's config): proxy, TLS, extra headers. The LFS server
	// gets the repository's; a storage server that an action's href
	// names gets its own (those of the first URL it is asked for there:
	// one client per scheme, host and port), so that a header set for
	// the repository's URL (a token, often) does not go to it, as with
	// git-lfs. Requests go
	// through internal/httpx, the one client that carries tokens (its
	// redirect and plain-http rules), with a time limit of an hour when
	// Stall is 0. nil is git's defaults.
	HTTP httpx.SettingsFor
	// Stall, when set, gives up a request whose server moves no byte
	// either way for that long (a *stall.Error naming StallKey, the
	// config key that sets it); a transfer that keeps moving is never
	// cut, however long it takes.
	Stall    time.Duration
	StallKey string

	repo    string // the repository's URL, whose settings the LFS server gets
	mu      sync.Mutex
	clients map[string]*httpx.Client // by origin
}

// Endpoint is the LFS URL git-lfs derives from an http(s) repository
// URL: the repository with ".git", then "/info/lfs". ok is false for
// other transports.
func Endpoint(repoURL string) (string, bool) {
	u, err := url.Parse(repoURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(u.Path, ".git") {
		u.Path += ".git"
	}
	u.RawPath = ""
	return u.String() + "/info/lfs", true
}

// NewClient is the client for the repository at repoURL, which reaches
// each server with settings (git's http configuration for its URL), so
// that LFS objects go by the proxy, certificates and headers that git's
// own requests use. ok is false when repoURL is not http(s).
func NewClient(repoURL string, creds Credentials, settings httpx.SettingsFor) (*Client, bool) {
	ep, ok := Endpoint(repoURL)
	if !ok {
		return nil, false
	}
	return &Client{Endpoint: ep, Creds: creds, HTTP: settings, repo: repoURL}, true
}

// Action is what a batch answer says to do with one object.
type Action struct {
	Href   string            `json:"href"`
	Header map[string]string `json:"header,omitempty"`
}

// Result is the batch answer for one object.
type Result struct {
	Object
	Actions map[string]Action `json:"actions,omitempty"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

type batchRequest struct {
	Operation string   `json:"operation"`
	Transfers []string `json:"transfers"`
	Objects   []Object `json:"objects"`
	HashAlgo  string   `json:"hash_algo"`
}

type batchResponse struct {
	Transfer string   `json:"transfer"`
	Objects  []Result `json:"objects"`
}

// Batch asks the server what to do for objs with operation "upload" or
// "download". An upload answer without an upload action means the server
// already holds the object.
func (c *Client) Batch(ctx context.Context, operation string, objs []Object) ([]Result, error) {
	var out []Result
	for len(objs) > 0 {
		n := min(len(objs), batchSize)
		res, err := c.batch(ctx, operation, objs[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
		objs = objs[n:]
	}
	return out, nil
}

func (c *Client) batch(ctx context.Context, operation string, objs []Object) ([]Result, error) {
	body, err := json.Marshal(batchRequest{Operation: operation, Transfers: []string{"basic"}, Objects: objs, HashAlgo: "sha256"})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+"/objects/batch", bytes.NewReader(body))
	if err != nil {
		return nil, i18n.Errorf("LFS batch: %w", err)
	}
	req.Header.Set("Accept", mediaType)
	req.Header.Set("Content-Type", mediaType)
	cred, err := c.credential(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req, cred)
	if err != nil {
		return nil, i18n.Errorf("LFS batch at %s: %w", c.Endpoint, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNotImplemented:
		return nil, i18n.Errorf("LFS batch at %s: %s: %w", c.Endpoint, printable(resp.Status), ErrUnsupported)
	case resp.StatusCode != http.StatusOK:
		return nil, i18n.Errorf("LFS batch at %s: %s", c.Endpoint, printable(resp.Status)) // server text
	}
	var br batchResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&br); err != nil {
		return nil, i18n.Errorf("LFS batch at %s: reading the answer: %w", c.Endpoint, err)
	}
	if br.Transfer != "" && br.Transfer != "basic" {
		return nil, i18n.Errorf("LFS batch at %s: unsupported transfer %q", c.Endpoint, printable(br.Transfer))
	}
	return br.Objects, nil
}

// credential is the token as Basic auth, the way git-lfs sends what git
// credential helpers give it; the zero Credential when there is none.
func (c *Client) credential(ctx context.Context) (httpx.Credential, error) {
	if c.Creds == nil {
		return httpx.Credential{}, nil
	}
	user, token, err := c.Creds(ctx, c.Endpoint)
	if err != nil {
		return httpx.Credential{}, i18n.Errorf("credentials for %s: %w", c.Endpoint, err)
	}
	return httpx.Basic(user, token), nil
}

// sameServer reports whether href is on the endpoint's origin (canonical
// scheme, host and port): only there may our own token go.
func (c *Client) sameServer(href string) bool {
	a, err1 := url.Parse(c.Endpoint)
	b, err2 := url.Parse(href)
	if err1 != nil || err2 != nil {
		return false
	}
	oa, err1 := hostname.Origin(a.Scheme, a.Host)
	ob, err2 := hostname.Origin(b.Scheme, b.Host)
	return err1 == nil && err2 == nil && oa == ob
}

// transfer runs one action's request. The server's headers go as given;
// our token is added only when the server gave no Authorization and the
// href is on the endpoint's own server.
func (c *Client) transfer(ctx context.Context, method string, a Action, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.Href, body)
	if err != nil {
		return nil, i18n.Errorf("LFS %s: %w", strings.ToLower(method), err)
	}
	if body != nil {
		req.ContentLength = size
	}
	for k, v := range a.Header {
		req.Header.Set(k, v)
	}
	var cred httpx.Credential
	if req.Header.Get("Authorization") == "" && c.sameServer(a.Href) {
		if cred, err = c.credential(ctx); err != nil {
			return nil, err
		}
	}
	resp, err := c.do(req, cred)
	if err != nil {
		return nil, i18n.Errorf("LFS transfer at %s: %w", req.URL.Host, err)
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, i18n.Errorf("LFS transfer at %s: %s", req.URL.Host, printable(resp.Status))
	}
	return resp, nil
}

// printable is server text made safe to show: cleaned the one way
// server text is (controls dropped, credential-shaped values masked),
// kept to one short line.
func printable(s string) string {
	s = redact.New().Clean(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
