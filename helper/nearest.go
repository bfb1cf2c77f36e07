package helper

import (
	"context"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// fetchState is what a session learns about the servers while fetching.
type fetchState struct {
	down    map[string]error // server URL -> why it could not be reached
	downOrd []string         // the keys of down, in the order found
	warned  bool             // the failover warning was printed
	v0      map[string]bool  // servers that answered stateless-connect with fallback
	nearest *serverRefs      // the nearest-server choice, made once

	syncStarted bool // syncOnFetch started its background sync

	handshakeTimeout time.Duration // 0: HandshakeTimeout; tests shorten it
}

// markDown records that srv could not serve this session.
func (s *Session) markDown(srv federation.Endpoint, err error) {
	if s.down == nil {
		s.down = map[string]error{}
	}
	if _, ok := s.down[srv.Raw]; !ok {
		s.downOrd = append(s.downOrd, srv.Raw)
	}
	s.down[srv.Raw] = err
}

func (s *Session) downErrors() []error {
	var errs []error
	for _, k := range s.downOrd {
		errs = append(errs, s.down[k])
	}
	return errs
}

// noteServer is called when srv is about to serve a fetch: if the origin
// was found down, the user is told once which mirror serves instead, and
// why the origin did not, in one line.
func (s *Session) noteServer(srv federation.Endpoint) {
	origin := s.Fed.Origin
	if srv.Raw == origin.Raw || s.down[origin.Raw] == nil || s.warned {
		return
	}
	s.warned = true
	if why := s.Git.Redact.Clean(cause(s.P, s.down[origin.Raw])); why != "" {
		s.P.Fprintf(s.Stderr, "warning: federate: origin %s is unreachable (%s); fetching from mirror %s\n", origin.Raw, why, srv.Raw)
		return
	}
	s.P.Fprintf(s.Stderr, "warning: federate: origin %s is unreachable; fetching from mirror %s\n", origin.Raw, srv.Raw)
}

func (s *Session) wantsNearest() bool {
	return s.Fed.FetchFrom == federation.FetchFromNearest && len(s.Fed.Mirrors) > 0
}

// listing is one answer of a concurrent ref listing.
type listing struct {
	i   int // index in the server list: 0 is the origin
	l   *serverRefs
	err error
}

// nearestListing lists the origin and every mirror at once and returns
// the origin's refs with Server set to the server that answered first
// among those whose refs equal the origin's (the origin itself counts: it
// may well be the nearest). When the origin cannot be listed and failover
// is on, the first mirror in configured order that answers serves, refs
// and all. The choice is made once per session.
func (s *Session) nearestListing(ctx context.Context) (*serverRefs, error) {
	if s.nearest != nil {
		return s.nearest, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the slower listings are not needed
	servers := s.Fed.Servers()
	ch := make(chan listing, len(servers))
	for i, srv := range servers {
		go func() {
			l, err := s.LsRemote(ctx, srv)
			ch <- listing{i, l, err}
		}()
	}
	var arrived []listing
	var origin listing
	for got := false; !got; {
		a := <-ch
		arrived = append(arrived, a)
		origin, got = a, a.i == 0
	}
	if origin.err != nil && gitexec.Refused(origin.err) {
		return nil, origin.err // reached, and refused: no failover
	}
	if origin.err != nil {
		s.markDown(s.Fed.Origin, origin.err)
		if !s.Fed.Failover {
			return nil, s.unreachable([]error{origin.err})
		}
		l, err := s.firstMirror(ch, arrived)
		if err == nil {
			s.nearest = l
		}
		return l, err
	}
	l := *origin.l
	// A mirror can serve a fetch of origin when it lists the same refs
	// with the same values, HEAD aside.
	notHEAD := func(ref string) bool { return ref != "HEAD" }
	same := origin.l.Filter(notHEAD)
	for _, a := range arrived { // the origin's own listing is among them
		if a.err == nil && a.l.Filter(notHEAD).Equal(same) {
			l.Server = servers[a.i]
			break
		}
	}
	s.Log.Debug("nearest server", "url", l.Server.Raw)
	s.nearest = &l
	return &l, nil
}

// firstMirror waits, mirror by mirror in configured order, for the
// listings still to come on ch and returns the first that succeeded.
func (s *Session) firstMirror(ch <-chan listing, arrived []listing) (*serverRefs, error) {
	byIndex := map[int]listing{}
	for _, a := range arrived {
		byIndex[a.i] = a
	}
	errs := []error{byIndex[0].err}
	for i := 1; i <= len(s.Fed.Mirrors); i++ {
		a, ok := byIndex[i]
		for !ok {
			b := <-ch
			byIndex[b.i] = b
			a, ok = byIndex[i]
		}
		if a.err == nil {
			return a.l, nil
		}
		s.markDown(s.Fed.Mirrors[i-1], a.err)
		errs = append(errs, a.err)
	}
	return nil, s.unreachable(errs)
}

// fetchListing lists the refs a fetch is answered from: the origin's
// (served by the nearest server with fetchFrom = nearest); when the
// origin cannot be listed and failover is on, the first mirror that can.
func (s *Session) fetchListing(ctx context.Context) (*serverRefs, error) {
	var l *serverRefs
	var err error
	if s.wantsNearest() {
		l, err = s.nearestListing(ctx)
	} else {
		l, err = s.failoverListing(ctx)
	}
	if err != nil {
		return nil, err
	}
	s.noteServer(l.Server)
	return l, nil
}

// failoverListing lists the origin and, when that fails and failover is
// on, each mirror in turn. Servers already found down are skipped.
func (s *Session) failoverListing(ctx context.Context) (*serverRefs, error) {
	servers := []federation.Endpoint{s.Fed.Origin}
	if s.Fed.Failover {
		servers = append(servers, s.Fed.Mirrors...)
	}
	for _, srv := range servers {
		if s.down[srv.Raw] != nil {
			continue
		}
		l, err := s.LsRemote(ctx, srv)
		if err == nil {
			return l, nil
		}
		if srv.Raw == s.Fed.Origin.Raw && gitexec.Refused(err) {
			return nil, err // reached, and refused: no failover
		}
		s.markDown(srv, err)
	}
	return nil, s.unreachable(s.downErrors())
}
