package transport

import (
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// Lease is one --force-with-lease git set with "option cas".
type Lease struct {
	Ref string
	// Expect is the object name the ref must still have; "" with
	// HasValue means the ref must not exist yet (git sends the zero
	// object name).
	Expect string
	// HasValue: git gave an expected value ("<ref>:<oid>"); without
	// one ("<ref>") the transport decides, which only git's does.
	HasValue bool
	// Text is the option as git sent it, for git's own transport.
	Text string
}

// ParseLease reads the value of "option cas": "<ref>:<oid>" or "<ref>".
// An entry git's send-pack would not take is refused with its words.
func ParseLease(v string) (Lease, error) {
	ref, oid, found := strings.Cut(v, ":")
	l := Lease{Ref: ref, HasValue: found, Text: v}
	switch {
	case ref == "":
		return Lease{}, i18n.Errorf("cannot parse lease %q: no ref", v)
	case found && !protocol.IsOID(oid) && oid != "":
		return Lease{}, i18n.Errorf("cannot parse expected object name '%s'", oid)
	case found && strings.Trim(oid, "0") != "":
		l.Expect = oid
	}
	return l, nil
}

// Leases are the leases of one push, in the order git set them.
type Leases []Lease

// For is the lease on ref, if any; the last one set wins, as in git.
func (ls Leases) For(ref string) (Lease, bool) {
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i].Ref == ref {
			return ls[i], true
		}
	}
	return Lease{}, false
}

// WithoutValue reports whether a lease leaves its expected value to the
// transport.
func (ls Leases) WithoutValue() bool {
	for _, l := range ls {
		if !l.HasValue {
			return true
		}
	}
	return false
}
