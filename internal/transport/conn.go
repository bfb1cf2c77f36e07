package transport

import (
	"context"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

// Conn is one server reached one way (Choose's Way): this process's
// client (internal/transport/direct), git's http helper kept for the
// session (internal/transport/relay) or a child git
// (internal/transport/child). The helper's push only orchestrates:
// origin first through its Conn, then the mirrors through theirs.
type Conn interface {
	// Way is how the server is reached.
	Way() Way
	// List is the server's refs for a push. A Conn lists once; a later
	// call returns that listing.
	List(ctx context.Context) (*refs.Listing, error)
	// Push sends updates with the push's options, in one request (one
	// batch per transport session, as git does), and says what became
	// of each.
	Push(ctx context.Context, updates []Update, o PushOptions) Outcome
	// Close ends what is still running; a Conn pushed to is closed.
	Close()
}

// Update is one ref update with its source resolved to an object name,
// so that every server gets exactly the same value.
type Update struct {
	Ref   string // destination ref
	Src   string // what git asked for: a local ref, "HEAD", an object name; "" deletes
	OID   string // Src resolved; "" for a delete or when it could not be resolved
	Force bool
}

// Delete reports whether u deletes its ref.
func (u Update) Delete() bool { return u.Src == "" }

// Source is what is sent as u's value: its object name when known, else
// what git asked for ("" deletes).
func (u Update) Source() string {
	if u.OID == "" || u.Delete() {
		return u.Src
	}
	return u.OID
}

// PushOptions are the push's options, as git set them.
type PushOptions struct {
	DryRun      bool
	Atomic      bool
	PushOptions []string
	// Origin: the push is the one git asked for (the origin's): git's
	// leases, signature and force-if-includes apply and its progress is
	// shown; a mirror's keeps the server's words for its report.
	Origin          bool
	Leases          Leases
	ForceIfIncludes bool
	Signed          string // "", "true", "if-asked"
	Progress        bool
	Verbosity       int
	// Limit bounds the push (0: the context's deadline alone).
	Limit time.Duration
}

// Status is what one server did with one ref.
type Status struct {
	OK       bool
	Forced   bool   // "ok <dst> forced update"
	UpToDate bool   // the server already had the value
	Reason   Reason // for !OK
	// Unreported: the server never answered for the ref, the push
	// failed as a whole (a cut connection, a crashed server).
	Unreported bool
}

// Accepted reports whether the server now has the value.
func (st Status) Accepted() bool { return st.OK || st.UpToDate }

// Outcome is what became of one push to one server.
type Outcome struct {
	Refs []Status // per update, in order
	// Fatal, when the push failed as a whole, is why; Hint what the
	// user can do about it.
	Fatal Reason
	Hint  string
	// Said is what the server said on the way, cleaned, when it was
	// not shown: a refusal's reason leaves out a hook's words.
	Said string
}

// Failed is the outcome of n updates refused as a whole for why.
func Failed(n int, why Reason, hint string) Outcome {
	out := Outcome{Refs: make([]Status, n), Fatal: why, Hint: hint}
	for i := range out.Refs {
		out.Refs[i] = Status{Reason: why, Unreported: true}
	}
	return out
}
