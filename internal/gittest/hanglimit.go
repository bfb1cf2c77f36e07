package gittest

import (
	"testing"
	"time"
)

// HangLimit is the time limit a test gives the one server meant to hang
// ([federate "<url>"] timeout, see LimitHung); the healthy servers keep
// the federation's default of two minutes. The limit covers every step
// of that server, the healthy ones before its hang included: an ssh
// handshake, its ref listing, the pack it takes. Those must never reach
// it, however loaded the machine: an ssh listing took about 0.5 s with
// the two cores' load average at 13-17 (8 busy loops beside the suite),
// so 10 s leaves room for a load several times that. Each hang waits it
// out once; a test asserts which server was given up and at which step,
// never how long that took.
const HangLimit = 10 * time.Second

// LimitHung gives the server at url, the one meant to hang, HangLimit as
// its own limit in the global git config, and returns the limit's key
// (what the product's messages name).
func LimitHung(t testing.TB, url string) string {
	t.Helper()
	key := "federate." + url + ".timeout"
	Git(t, "", "config", "--global", key, HangLimit.String())
	return key
}
