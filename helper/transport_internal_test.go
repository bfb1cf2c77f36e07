package helper

import (
	"context"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// Each server of a push gets one connection, the one transport.Choose
// picks: a local origin is listed and pushed by child gits; a local
// mirror is pushed by a child git with no listing ahead; an http mirror
// with no token goes to git's http helper, and when that cannot list
// it, a child git pushes it and says why in its words.
func TestReachPicksOneConnPerServer(t *testing.T) {
	origin, m := bare(t), bare(t)
	s, work := localFed(t, origin, m)
	gittest.Git(t, work, "push", "-q", origin, "HEAD:refs/heads/main")
	ctx := context.Background()

	o := &reached{}
	s.reach(ctx, o, s.Fed.Origin, true, false, nil)
	if o.conn.Way() != transport.Child || o.err != nil || o.listing == nil || o.listing.OID("refs/heads/main") == "" {
		t.Fatalf("origin: way %v, err %v, listing %+v", o.conn.Way(), o.err, o.listing)
	}
	if c := s.forPush(ctx, o); c != o.conn {
		t.Errorf("origin's push goes through another connection (%v)", c.Way())
	}

	mr := &reached{}
	s.reach(ctx, mr, s.Fed.Mirrors[0], false, false, nil)
	if mr.conn.Way() != transport.Child || mr.listing != nil || mr.err != nil {
		t.Errorf("local mirror: way %v, listing %+v, err %v", mr.conn.Way(), mr.listing, mr.err)
	}

	down, err := federation.ParseEndpoint("http://127.0.0.1:1/r.git")
	if err != nil {
		t.Fatal(err)
	}
	hr := &reached{}
	s.reach(ctx, hr, down, false, false, nil)
	defer hr.conn.Close()
	if hr.conn.Way() != transport.Relay || hr.err == nil {
		t.Fatalf("http mirror without a token: way %v, err %v", hr.conn.Way(), hr.err)
	}
	if c := s.forPush(ctx, hr); c.Way() != transport.Child {
		t.Errorf("a mirror its relay could not list is pushed by %v, want a child git", c.Way())
	}
}
