// Package soak holds the chaos soak (build tag "soak"): an origin and
// three mirrors (git http-backend on 127.0.0.1, and one mirror over ssh
// to a real sshd) behind fault proxies, three working copies pushing at
// random through federate::, `git federate sync` in them, `git federate
// serve` receiving signed webhook deliveries and `git federate sync
// --daemon`, SIGKILLs at random moments (pushes, syncs, background
// deliveries, serve, the daemon), and an invariant checker after every
// step. Run it with
//
//	go test -tags soak -run TestSoak ./internal/soak -args -duration 60s -seed 1
//
// See docs/operations.md ("Chaos soak") for what it checks and its figures.
package soak
