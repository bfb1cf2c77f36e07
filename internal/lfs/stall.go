package lfs

import (
	"net/http"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/stall"
)

// Limit sets c's stall limit to d, named by key (the config key that
// sets it), and returns c.
func (c *Client) Limit(d time.Duration, key string) *Client {
	c.Stall, c.StallKey = d, key
	return c
}

// do sends req, given up with a *stall.Error when c has a stall limit
// and the server moves no byte either way for that long.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	return stall.Do(c.http(), req, c.Stall, &stall.Error{Host: req.URL.Host, Limit: c.Stall, Key: c.StallKey, LFS: true})
}
