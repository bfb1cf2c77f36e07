package lfs

import (
	"net/http"
	"time"

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
	c.once.Do(func() {
		cfg := httpx.Config{Settings: c.HTTP, UserAgent: "git-remote-federate"}
		if c.Stall > 0 {
			cfg.Stall = &stall.Error{Limit: c.Stall, Key: c.StallKey, LFS: true}
		} else {
			cfg.Timeout = time.Hour
		}
		c.hc, c.hcErr = httpx.New(cfg)
	})
	if c.hcErr != nil {
		return nil, c.hcErr
	}
	return c.hc.Do(req, cred)
}
