package fedcmd

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func TestVersion(t *testing.T) {
	gittest.Isolate(t)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runMain(t, "", "", args...)
		if r.code != 0 || r.err != "" {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.err)
		}
		for _, want := range []string{"git-federate version ", "\ncommit: ", "\ngo: go1.", "\ngit: 2."} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, r.stdout)
			}
		}
	}
}
