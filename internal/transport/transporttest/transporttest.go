// Package transporttest holds what the tests of the transports share.
package transporttest

import (
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// Leases are git's "cas" options vs, parsed as the option command parses
// them; a value it refuses fails the test.
func Leases(t testing.TB, vs ...string) transport.Leases {
	t.Helper()
	var out transport.Leases
	for _, v := range vs {
		l, err := transport.ParseLease(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}
