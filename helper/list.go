package helper

import (
	"context"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// ListTimeout bounds one ref listing of one server.
const ListTimeout = 2 * time.Minute

// serverRefs is what a server listed, with the server: a fetch is
// answered from it, a push's updates judged against it.
type serverRefs struct {
	Server federation.Endpoint
	*refs.Listing
}

// LsRemote lists the refs of server with `git ls-remote --symref`.
func (s *Session) LsRemote(ctx context.Context, server federation.Endpoint) (*serverRefs, error) {
	ctx, cancel := context.WithTimeout(ctx, s.listLimitOf(server))
	defer cancel()
	g, url := s.Git.Plain(server.Raw)
	g.Stderr = nil // captured into the error; the caller decides what to show
	out, err := g.LsRemote(ctx, url, "--symref")
	if err != nil {
		return nil, i18n.Errorf("listing %s: %w", server.Raw, s.explainRead(ctx, err, server.Raw)) // ls-remote reads
	}
	l, err := refs.ParseLsRemote(out)
	if err != nil {
		return nil, i18n.Errorf("listing %s: %w", server.Raw, err)
	}
	return &serverRefs{Server: server, Listing: l}, nil
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

// list answers "list" and "list for-push". For fetch, the origin is asked
// first and, with failover, each mirror in turn when it cannot be reached.
// For push, the listing comes from the server pushed to first.
func (s *Session) list(ctx context.Context, forPush bool, w *protocol.Writer) error {
	var l *serverRefs
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

func writeListing(w *protocol.Writer, l *serverRefs) {
	w.Attribute("object-format", l.ObjectFormat())
	for _, r := range l.Refs {
		if target, ok := l.Symrefs[r.Name]; ok {
			w.Symref(target, r.Name)
			continue
		}
		w.Ref(r.OID, r.Name)
	}
}
