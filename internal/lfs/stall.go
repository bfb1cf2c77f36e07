package lfs

import (
	"net/http"
	"net/url"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
)

// Limit sets c's stall limit to d, named by key (the config key that
// sets it), and returns c.
func (c *Client) Limit(d time.Duration, key string) *Client {
	c.Stall, c.StallKey = d, key
	return c
}

// do sends req carrying cred through the one client that carries
// tokens (internal/httpx), given up with a *stall.Error when c has a
// stall limit and the server moves no byte either way for that long.
func (c *Client) do(req *http.Request, cred httpx.Credential) (*http.Response, error) {
	hc, err := c.clientFor(req.URL)
	if err != nil {
		return nil, err
	}
	return hc.Do(req, cred)
}

// clientFor is the client of u's server, made once per origin with the
// settings git has for it: the repository's for the LFS server's origin,
// u's own for another.
func (c *Client) clientFor(u *url.URL) (*httpx.Client, error) {
	origin, err := hostname.Origin(u.Scheme, u.Host)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if hc, ok := c.clients[origin]; ok {
		return hc, nil
	}
	raw := u.String()
	if c.sameServer(raw) && c.repo != "" {
		raw = c.repo
	}
	cfg := httpx.Config{UserAgent: "git-remote-federate"}
	if c.HTTP != nil {
		cfg.Settings = c.HTTP(raw)
	}
	if c.Stall > 0 {
		cfg.Stall = &stall.Error{Limit: c.Stall, Key: c.StallKey, LFS: true}
	} else {
		cfg.Timeout = time.Hour
	}
	hc, err := httpx.New(cfg)
	if err != nil {
		return nil, err
	}
	if c.clients == nil {
		c.clients = map[string]*httpx.Client{}
	}
	c.clients[origin] = hc
	return hc, nil
}
