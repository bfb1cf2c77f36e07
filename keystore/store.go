// Package keystore finds the token for a host: from the environment, the
// OS keyring, or git's own credential helpers, first hit wins, and it
// reports where the token came from, never the token.
package keystore

import (
	"context"
	"errors"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// ErrNotFound means no store has a token for the key.
var ErrNotFound = i18n.Errorf("keystore: no token found")

// ErrBroken is wrapped by the error of a Chain lookup that found no token
// while some store failed (a locked keyring, a credential helper that
// timed out): the token may exist, so callers must not act as if there
// were none. It never matches ErrNotFound.
var ErrBroken = i18n.Errorf("keystore: a token store failed")

// ErrReadOnly is returned by stores that cannot be written, such as the
// environment.
var ErrReadOnly = i18n.Errorf("keystore: store is read-only")

// Key names a server a token is for.
type Key struct {
	Protocol string // https or http
	Host     string // host, with ":port" when not the default; see Canonical
	Path     string // repository path, optional
	Username string // optional; some forges (Gitee) need the real one
}

// Canonical is k with its host in the one form every token key uses
// (hostname.Canonical: the ASCII form, lower-cased in ASCII only) and
// its protocol lower-cased, so that a look-alike host (gİthub.com,
// gıthub.com) never names github.com's token. A host that has no such
// form is an error wrapping ErrNotFound: it gets no token.
func (k Key) Canonical() (Key, error) {
	host, err := hostname.Canonical(k.Host)
	if err != nil {
		return Key{}, i18n.Errorf("%w: %w", ErrNotFound, err)
	}
	k.Host, k.Protocol = host, strings.ToLower(k.Protocol)
	return k, nil
}

// URL is "<protocol>://<host>", the name a token is stored under.
func (k Key) URL() string { return k.Protocol + "://" + k.Host }

// Source names where a token came from: "env:<VARIABLE>", "keyring" or
// "git-credential".
type Source string

// Sources of tokens other than environment variables.
const (
	SourceKeyring       Source = "keyring"
	SourceGitCredential Source = "git-credential"
)

// Credential is a username and token, and where they came from.
type Credential struct {
	Username string
	Token    string
	Source   Source
}

// Store is one place tokens can live.
type Store interface {
	// Get returns the credential for k; an error wrapping ErrNotFound when
	// the store has none; any other error when the store failed.
	Get(ctx context.Context, k Key) (Credential, error)
	// Set stores c for k.
	Set(ctx context.Context, k Key, c Credential) error
	// Delete removes the credential for k; ErrNotFound if there was none.
	Delete(ctx context.Context, k Key) error
}

// Chain asks each store in turn; the first hit wins. A broken store is
// skipped so the next can answer; when no store has the token, Get
// returns ErrNotFound, or an error wrapping ErrBroken and the failures
// when a store failed. Set and Delete go to the first writable store.
type Chain []Store

// Get implements Store.
func (c Chain) Get(ctx context.Context, k Key) (Credential, error) {
	k, err := k.Canonical()
	if err != nil {
		return Credential{}, err
	}
	var errs []error
	for _, s := range c {
		cred, err := s.Get(ctx, k)
		if err == nil {
			return cred, nil
		}
		if !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Credential{}, i18n.Errorf("%w: %w", ErrBroken, i18n.Join(errs...))
	}
	return Credential{}, ErrNotFound
}

// Set implements Store.
func (c Chain) Set(ctx context.Context, k Key, cred Credential) error {
	for _, s := range c {
		if err := s.Set(ctx, k, cred); !errors.Is(err, ErrReadOnly) {
			return err
		}
	}
	return ErrReadOnly
}

// Delete implements Store.
func (c Chain) Delete(ctx context.Context, k Key) error {
	for _, s := range c {
		if err := s.Delete(ctx, k); !errors.Is(err, ErrReadOnly) {
			return err
		}
	}
	return ErrReadOnly
}

// validValue reports whether v can travel in git's credential format
// (key=value lines) without breaking it.
func validValue(v string) bool { return !strings.ContainsAny(v, "\n\r\x00") }
