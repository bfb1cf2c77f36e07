package lfs

import (
	"net/http"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
)

// StallError is a server that moved no byte of a request or its answer
// for the client's stall limit, and was given up.
type StallError struct {
	// Host is the server's host.
	Host string
	// Limit is the stall limit; Key the config key that sets it.
	Limit time.Duration
	Key   string
}

func (e *StallError) Error() string { return e.msg().String() }

// Localize is the error in p's language.
func (e *StallError) Localize(p *i18n.Printer) string { return e.msg().Localize(p) }

func (e *StallError) msg() i18n.Msg {
	return i18n.M("LFS server %s: no data moved for %s; gave up (the limit is %s)", e.Host, e.Limit.String(), e.Key)
}

// Limit sets c's stall limit to d, named by key (the config key that
// sets it), and returns c.
func (c *Client) Limit(d time.Duration, key string) *Client {
	c.Stall, c.StallKey = d, key
	return c
}

// do sends req, given up with a *StallError when c has a stall limit
// and the server moves no byte either way for that long.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	return stall.Do(c.http(), req, c.Stall, &StallError{Host: req.URL.Host, Limit: c.Stall, Key: c.StallKey})
}
