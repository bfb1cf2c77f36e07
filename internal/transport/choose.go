// Package transport decides how the helper reaches a server for a push:
// from this process (the direct client of internal/sendpack), through a
// relay to git's own `git remote-http(s)`, or with a child `git push`.
// The decision is one pure function of plain data, so that the origin
// and the mirrors, in the foreground and in the background, are chosen
// by the same rules, and a table test covers them without servers.
package transport

import "strings"

// Way is how a server is reached.
type Way int

const (
	// Direct: this process lists and pushes with the token up front.
	Direct Way = iota + 1
	// Relay: git's http helper, kept for the session, lists and pushes.
	Relay
	// Child: a child `git ls-remote`/`git push` (not http(s), or a
	// mirror not listed ahead).
	Child
)

// String names w for traces.
func (w Way) String() string {
	switch w {
	case Direct:
		return "direct"
	case Relay:
		return "relay"
	case Child:
		return "child"
	}
	return "none"
}

// Phase is the moment of the choice.
type Phase int

const (
	// List: the server is about to be listed (or has been, by this
	// process: Listing says how that went). The push's options are not
	// known yet: git sends them after the listing.
	List Phase = iota
	// Push: the updates and the push's options are known.
	Push
)

// Server is what is known of a server before anything is sent to it.
type Server struct {
	// Origin is the server pushed to first (origin, or the first
	// mirror with pushOrigin = false); else a mirror.
	Origin bool
	// Background: a mirror pushed without a listing ahead (the detached
	// delivery of mirrorPush = background): nothing was started for it
	// while the origin pushed.
	Background bool
	// HTTP: the URL is http(s).
	HTTP bool
	// Forbidden: git's protocol policy forbids the URL's protocol
	// (httpx.ProtocolAllowed). git's http helper, run by this process,
	// would not say so: only git's transport refuses it in git's words.
	Forbidden bool
	// UserInURL: the URL names a user (git's credential rules apply).
	UserInURL bool
	// Token: a token and the account's name for the server are known
	// from the environment or the OS keyring.
	Token bool
	// Unhonoured are git's settings for the URL that only git's
	// transport honours (httpx.Settings.Unhonoured); "config" when
	// git's configuration could not be read.
	Unhonoured []string
	// Unusable is why this process may not carry the token there or
	// build a client for it (httpx.CheckToken, a setting it cannot
	// apply), or "".
	Unusable string
}

// Listing is how this process's own listing of the server went; zero
// before it was tried.
type Listing struct {
	// Redirected: the listing was sent elsewhere, beyond what this
	// process follows with the token: git's rules decide.
	Redirected bool
	// Stalled: no data moved for the federation's limit; git's
	// transport would wait as long again.
	Stalled bool
	// Failed: the listing failed otherwise.
	Failed bool
	// What the advertisement announced.
	ReportStatus, Atomic, PushOptions bool
}

// Options are the push's options git set, as far as they matter to the
// choice.
type Options struct {
	DryRun            bool
	Atomic            bool
	PushOptions       bool // any --push-option
	Signed            bool // --signed (if-asked or true)
	ForceIfIncludes   bool
	LeaseWithoutValue bool // a --force-with-lease whose expected value git left to the transport
}

// Choice is a way and why, for traces.
type Choice struct {
	Way    Way
	Reason string
}

// Choose is how srv is reached at phase, given how this process's
// listing went (l) and the push's options (o, at Push).
func Choose(srv Server, o Options, l Listing, at Phase) Choice {
	if c, ok := eligible(srv); !ok {
		return c
	}
	switch {
	case l.Redirected:
		return Choice{notDirect(srv), "redirected: git's transport follows it by its own rules"}
	case l.Stalled:
		return Choice{Direct, "listing stalled: that is the answer, git's transport would wait as long"}
	case l.Failed && srv.Origin:
		return Choice{Relay, "listing failed: git's transport lists again and says why in its words"}
	case l.Failed:
		return Choice{Direct, "listing failed: that is the mirror's reason"}
	case at == List:
		return Choice{Direct, "listed by this process"}
	}
	if why := needsGit(srv, o, l); why != "" {
		return Choice{afterDirect(srv), why}
	}
	return Choice{Direct, "pushed by this process"}
}

// eligible is the choice for a server this process may not reach, and
// false; true when it may.
func eligible(srv Server) (Choice, bool) {
	switch {
	case !srv.HTTP:
		return Choice{Child, "not http(s)"}, false
	case srv.Forbidden:
		return Choice{Child, "git's protocol policy forbids it: git refuses it in its words"}, false
	case srv.UserInURL:
		return Choice{notDirect(srv), "the URL names a user"}, false
	case len(srv.Unhonoured) > 0:
		return Choice{notDirect(srv), "only git's transport honours " + strings.Join(srv.Unhonoured, ",")}, false
	case !srv.Token:
		return Choice{notDirect(srv), "no token in the environment or the keyring"}, false
	case srv.Unusable != "":
		return Choice{notDirect(srv), srv.Unusable}, false
	}
	return Choice{}, true
}

// needsGit is why the push needs git's transport after a listing by this
// process, or "".
func needsGit(srv Server, o Options, l Listing) string {
	switch {
	case o.DryRun:
		return "a dry run"
	case !l.ReportStatus:
		return "the server does not announce report-status"
	case o.Atomic && !l.Atomic:
		return "atomic, not announced"
	case o.PushOptions && !l.PushOptions:
		return "push options, not announced"
	case !srv.Origin:
		return "" // leases, signatures and force-if-includes are the origin's
	case o.Signed:
		return "a signed push"
	case o.ForceIfIncludes:
		return "force-if-includes"
	case o.LeaseWithoutValue:
		return "a lease without an expected value"
	}
	return ""
}

// notDirect is the way of a server this process does not list: git's
// http helper, kept for the push, unless nothing is listed ahead.
func notDirect(srv Server) Way {
	if srv.Background && !srv.Origin {
		return Child
	}
	return Relay
}

// afterDirect is the way of a push listed by this process that needs
// git's transport: for the origin a relay started then (it lists again),
// for a mirror a child `git push`.
func afterDirect(srv Server) Way {
	if srv.Origin {
		return Relay
	}
	return Child
}
