package fedcmd

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// A sync asks the token chain once per host for the whole run: the
// token it redacts from its children's output is the one it sends. Each
// asking of the OS keyring is a round trip over D-Bus; here a session
// bus that hangs up on every connection counts them.
func TestSyncAsksTheKeyringOncePerHost(t *testing.T) {
	gittest.Isolate(t)
	srv := gittest.NewServer(t, gittest.Auth{}) // no token needed, none in the environment
	origin, mirror := srv.InitBare(t, "origin.git"), srv.InitBare(t, "mirror.git")
	gittest.Seed(t, gittest.NewWorkRepo(t), srv.Path("origin.git"), srv.Path("mirror.git"))
	gittest.Git(t, "", "config", "--global", "federation.demo.origin", origin)
	gittest.Git(t, "", "config", "--global", "federation.demo.mirror", mirror)

	bus, err := net.Listen("unix", filepath.Join(t.TempDir(), "bus"))
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	var asked atomic.Int64
	go func() {
		for {
			c, err := bus.Accept()
			if err != nil {
				return
			}
			asked.Add(1)
			c.Close()
		}
	}()
	cmd := exec.Command(filepath.Join(gittest.BinDir(t), "git-federate"), "sync", "demo")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "FEDERATE_KEYRING=", "DBUS_SESSION_BUS_ADDRESS=unix:path="+bus.Addr().String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("the keyring was asked %d times for the federation's one host, want once", n)
	}
}
