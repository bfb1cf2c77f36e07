package gittest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// A port taken between its choice and Gitea's bind (here by a server
// that answers 200 to anything) costs a retry on another port, not a
// test that waits five minutes or talks to the wrong server.
func TestStartGiteaTriesAnotherPortWhenItsPortIsTaken(t *testing.T) {
	taken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `{"version":"1.26.0"}`)
	}))
	defer taken.Close()
	takenPort := taken.Listener.Addr().(*net.TCPAddr).Port
	var tries int
	g := startGiteaOn(t, false, func() (int, error) {
		tries++
		if tries == 1 {
			return takenPort, nil
		}
		return freePort()
	})
	if tries != 2 || strings.HasSuffix(g.URL, ":"+strconv.Itoa(takenPort)) {
		t.Fatalf("Gitea at %s after %d ports; want the second port, not the taken %d", g.URL, tries, takenPort)
	}
	var me struct{ Login string }
	g.API(t, "GET", "/api/v1/user", nil, &me)
	if me.Login != g.User {
		t.Fatalf("the server at %s says it is %q, not Gitea's %q", g.URL, me.Login, g.User)
	}
}
