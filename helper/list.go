package helper

import (
	"context"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// ListTimeout bounds one ref listing of one server.
const ListTimeout = 2 * time.Minute

// Ref is one advertised ref.
type Ref struct{ Name, OID string }

// Listing is one server's ref advertisement.
type Listing struct {
	Server  federation.Endpoint
	Refs    []Ref             // in the server's order, without peeled entries
	Peeled  map[string]string // tag ref -> the commit it peels to
	Symrefs map[string]string // "HEAD" -> "refs/heads/main"
}

// OID returns the value of ref, or "" when the server does not have it.
func (l *Listing) OID(ref string) string {
	for _, r := range l.Refs {
		if r.Name == ref {
			return r.OID
		}
	}
	return ""
}

// ObjectFormat is "sha256" when the server's object names are 64 hex
// digits, else "sha1".
func (l *Listing) ObjectFormat() string {
	if len(l.Refs) > 0 && len(l.Refs[0].OID) == 64 {
		return "sha256"
	}
	return "sha1"
}

// SameRefs reports whether l and o advertise the same refs with the same
// values (HEAD aside), which is when a mirror can serve a fetch of origin.
func (l *Listing) SameRefs(o *Listing) bool {
	m := map[string]string{}
	for _, r := range l.Refs {
		if r.Name != "HEAD" {
			m[r.Name] = r.OID
		}
	}
	n := 0
	for _, r := range o.Refs {
		if r.Name == "HEAD" {
			continue
		}
		if m[r.Name] != r.OID {
			return false
		}
		n++
	}
	return n == len(m)
}

// LsRemote lists the refs of server with `git ls-remote --symref`.
func (s *Session) LsRemote(ctx context.Context, server federation.Endpoint) (*Listing, error) {
	ctx, cancel := context.WithTimeout(ctx, s.listLimitOf(server))
	defer cancel()
	g, url := s.Git.Plain(server.Raw)
	g.Stderr = nil // captured into the error; the caller decides what to show
	out, err := g.LsRemote(ctx, url, "--symref")
	if err != nil {
		return nil, i18n.Errorf("listing %s: %w", server.Raw, s.explainRead(ctx, err, server.Raw)) // ls-remote reads
	}
	l, err := ParseLsRemote(out)
	if err != nil {
		return nil, i18n.Errorf("listing %s: %w", server.Raw, err)
	}
	l.Server = server
	return l, nil
}

// listLimit bounds one ref listing: the federation's timeout (a listing
// is one small answer), else ListTimeout.
func (s *Session) listLimit() time.Duration {
	if s.Fed != nil && s.Fed.Timeout > 0 {
		return s.Fed.Timeout
	}
	return ListTimeout
}

// listLimitOf bounds one listing of server: its own timeout when it has
// one, else listLimit.
func (s *Session) listLimitOf(server federation.Endpoint) time.Duration {
	if s.Fed != nil {
		if _, ok := s.Fed.Limits[server.Raw]; ok {
			d, _ := s.Fed.TimeoutOf(server)
			return d
		}
	}
	return s.listLimit()
}

// ParseLsRemote parses `git ls-remote --symref` output.
func ParseLsRemote(out []byte) (*Listing, error) {
	a, err := gitexec.ParseLsRemote(out)
	if err != nil {
		return nil, err
	}
	l := &Listing{Peeled: a.Peeled, Symrefs: a.Symrefs}
	for _, r := range a.Refs {
		l.Refs = append(l.Refs, Ref{Name: r.Name, OID: r.OID})
	}
	return l, nil
}

// listingOf is the Listing of srv's refs as a server listed them for a
// push: git's http helper's "list for-push" answer, or this process's
// advertisement (advertised). Every push listing is made here.
func listingOf(srv federation.Endpoint, listed []protocol.Listed) *Listing {
	l := &Listing{Server: srv, Peeled: map[string]string{}, Symrefs: map[string]string{}}
	for _, e := range listed {
		switch {
		case e.Attr != "":
		case e.Target != "":
			l.Symrefs[e.Name] = e.Target
			l.Refs = append(l.Refs, Ref{Name: e.Name})
		case e.OID != "":
			l.Refs = append(l.Refs, Ref{Name: e.Name, OID: e.OID})
		}
	}
	return l
}

// list answers "list" and "list for-push". For fetch, the origin is asked
// first and, with failover, each mirror in turn when it cannot be reached.
// For push, the listing comes from the server pushed to first.
func (s *Session) list(ctx context.Context, forPush bool, w *protocol.Writer) error {
	var l *Listing
	var err error
	if forPush {
		s.pointLFS(s.pushTarget(), "lfspushurl") // before git runs the pre-push hook
		if l, err = s.listForPushRetried(ctx); err != nil {
			return s.pushTargetDown(s.pushTarget(), err)
		}
	} else {
		l, err = s.fetchListing(ctx)
	}
	if err != nil {
		return err
	}
	s.listing = l
	writeListing(w, l)
	return w.End()
}

// pushTarget is the server a push goes to first: the origin, or with
// pushOrigin = false (origin is a read-only upstream) the first mirror.
func (s *Session) pushTarget() federation.Endpoint {
	if !s.Fed.PushOrigin && len(s.Fed.Mirrors) > 0 {
		return s.Fed.Mirrors[0]
	}
	return s.Fed.Origin
}

func writeListing(w *protocol.Writer, l *Listing) {
	w.Attribute("object-format", l.ObjectFormat())
	for _, r := range l.Refs {
		if target, ok := l.Symrefs[r.Name]; ok {
			w.Symref(target, r.Name)
			continue
		}
		w.Ref(r.OID, r.Name)
	}
}
