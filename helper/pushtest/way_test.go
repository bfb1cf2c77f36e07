package pushtest

import (
	"regexp"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// viaGitTransport hands every request to host ("http://127.0.0.1:port")
// to git's transport: http.<host>.version is a setting only git's
// transport honours (httpx.Settings.Unhonoured), and HTTP/1.1 is what the
// test servers speak anyway. (http.postBuffer no longer does it: the
// direct client honours it.)
func viaGitTransport(t *testing.T, host string) {
	t.Helper()
	gittest.Git(t, "", "config", "--global", "http."+host+".version", "HTTP/1.1")
}

// traceWays asks the helpers of the test for their debug log
// (GIT_TRACE_FEDERATE), whose "transport" lines waysOf reads.
func traceWays(t *testing.T) { t.Setenv("GIT_TRACE_FEDERATE", "1") }

var wayRE = regexp.MustCompile(`msg=transport server=(\S+) .*way=(\w+)`)

// waysOf are the ways ("direct", "relay", "child") the helper's
// "transport" debug lines in out chose for url, in order.
func waysOf(out, url string) []string {
	var ways []string
	for _, m := range wayRE.FindAllStringSubmatch(out, -1) {
		if m[1] == url {
			ways = append(ways, m[2])
		}
	}
	return ways
}

// wantWay fails unless every transport choice for url in out, and at
// least one, is way.
func wantWay(t *testing.T, out, url, way string) {
	t.Helper()
	ways := waysOf(out, url)
	for _, w := range ways {
		if w != way {
			ways = nil
			break
		}
	}
	if len(ways) == 0 {
		t.Errorf("%s was not reached only by the way %q (chosen: %q):\n%s", url, way, waysOf(out, url), out)
	}
}
