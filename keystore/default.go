package keystore

import (
	"context"
	"io"
)

// Options configure the default chain of stores.
type Options struct {
	// Getenv looks up environment variables (os.Getenv).
	Getenv func(string) string
	// Forge names the forge of a host, for its usual token variable.
	Forge func(host string) string
	// Keyring is the OS keyring backend; nil means OSKeyring.
	Keyring KeyringBackend
	// GitCredential, when set, ends the chain with the user's git
	// credential helpers. Leave it nil in `git credential-federate`, which
	// git itself runs as a helper.
	GitCredential *GitCredential
}

// Default returns the token chain, first hit wins: environment, then OS
// keyring, then (when o.GitCredential is set) git's own credential
// helpers.
func Default(o Options) Chain {
	c := Chain{Env{Getenv: o.Getenv, Forge: o.Forge}, o.KeyringStore()}
	if o.GitCredential != nil {
		c = append(c, *o.GitCredential)
	}
	return c
}

// KeyringStore is the keyring store of the chain, for login and logout.
func (o Options) KeyringStore() Keyring {
	return Keyring{Backend: o.Keyring, Getenv: o.Getenv}
}

// TokenFDEnv names the file descriptor (in a child git's environment)
// from which the credential callback reads a credential not stored
// anywhere yet, in git's key=value format: `git federate login` uses it
// to verify a token with `git ls-remote` before storing it. The token
// travels through a pipe, never argv or the environment.
const TokenFDEnv = "FEDERATE_TOKEN_FD"

// TokenFDHostEnv names the host URL ("https://host[:port]") the
// credential on TokenFDEnv is for; other hosts get nothing from it.
const TokenFDHostEnv = "FEDERATE_TOKEN_FD_HOST"

// SourceLogin is the source of a token being verified by login.
const SourceLogin Source = "login"

// Fixed is a Store holding one credential for one host URL, such as the
// one read from TokenFDEnv.
type Fixed struct {
	HostURL    string
	Credential Credential
}

// Get implements Store.
func (f Fixed) Get(_ context.Context, k Key) (Credential, error) {
	k, err := k.Canonical()
	if err != nil {
		return Credential{}, err
	}
	if f.Credential.Token == "" || k.URL() != f.HostURL {
		return Credential{}, ErrNotFound
	}
	return f.Credential, nil
}

// Set implements Store.
func (Fixed) Set(context.Context, Key, Credential) error { return ErrReadOnly }

// Delete implements Store.
func (Fixed) Delete(context.Context, Key) error { return ErrReadOnly }

// ReadFixed reads a credential request (username, password) from r for
// hostURL, as written by the parent through TokenFDEnv.
func ReadFixed(r io.Reader, hostURL string) (Fixed, error) {
	req, err := ReadRequest(io.LimitReader(r, 64<<10))
	if err != nil {
		return Fixed{}, err
	}
	return Fixed{HostURL: hostURL, Credential: Credential{Username: req["username"], Token: req["password"], Source: SourceLogin}}, nil
}
