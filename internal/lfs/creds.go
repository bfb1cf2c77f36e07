package lfs

import (
	"context"
	"errors"
	"net/url"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// GitCredentials asks `git credential fill`, run with env, for each
// host's token once. With env carrying this program's credential
// callback, git answers from the same token chain git's own transfers
// use; the token travels through pipes only.
func GitCredentials(env []string) Credentials {
	var mu sync.Mutex
	known := map[string]keystore.Credential{}
	store := keystore.GitCredential{Env: env}
	return func(ctx context.Context, raw string) (string, string, error) {
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", err
		}
		k, err := keystore.Key{Protocol: u.Scheme, Host: u.Host}.Canonical()
		if err != nil {
			return "", "", err
		}
		mu.Lock()
		defer mu.Unlock()
		if c, ok := known[k.URL()]; ok {
			return c.Username, c.Token, nil
		}
		c, err := store.Get(ctx, k)
		if err != nil && !errors.Is(err, keystore.ErrNotFound) {
			return "", "", err
		}
		known[k.URL()] = c
		return c.Username, c.Token, nil
	}
}
