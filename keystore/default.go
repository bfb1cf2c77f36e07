package keystore

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

// Default returns the chain DESIGN.md gives: environment, then OS keyring,
// then (when o.GitCredential is set) git's own credential helpers.
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
