package gitexec

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestChildrenRedactTraces: a child gets GIT_TRACE_REDACT=1 even when the
// user's environment turned it off, so GIT_TRACE_CURL never prints the
// Authorization header.
func TestChildrenRedactTraces(t *testing.T) {
	for _, env := range [][]string{nil, {"GIT_TRACE_REDACT=0", "PATH=" + os.Getenv("PATH")}} {
		if env == nil {
			t.Setenv("GIT_TRACE_REDACT", "0")
		}
		out, err := Runner{Git: "env", Env: env}.Output(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		vars := strings.Split(string(out), "\n")
		n := 0
		for _, v := range vars {
			if strings.HasPrefix(v, "GIT_TRACE_REDACT=") {
				n++
				if v != "GIT_TRACE_REDACT=1" {
					t.Errorf("child has %s", v)
				}
			}
		}
		if n != 1 {
			t.Errorf("child has GIT_TRACE_REDACT %d times", n)
		}
	}
}
