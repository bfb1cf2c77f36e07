package gittest

import (
	"fmt"
	"strings"
	"testing"
)

// fatalTB records the first Fatalf and stops the caller there.
type fatalTB struct {
	testing.TB
	msg string
}

type stopped struct{}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(stopped{})
}

func TestStartGiteaWithoutBinaryNamesTheScript(t *testing.T) {
	t.Setenv(GiteaBinEnv, "/nonexistent/gitea")
	f := &fatalTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != (stopped{}) {
				panic(r)
			}
		}()
		StartGitea(f)
	}()
	if !strings.Contains(f.msg, "scripts/gitea.sh") || !strings.Contains(f.msg, "/nonexistent/gitea") {
		t.Fatalf("message %q should name the missing path and scripts/gitea.sh", f.msg)
	}
}
