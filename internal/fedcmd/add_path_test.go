package fedcmd

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestAddMakesLocalPathsAbsolute: a relative path in the global config
// would name another repository from every other directory.
func TestAddMakesLocalPathsAbsolute(t *testing.T) {
	gittest.Isolate(t)
	dir := t.TempDir()
	r := runMain(t, dir, "", "add", "loc", "--global", "--no-check", "--origin", "srv/origin.git", "--mirror", "../m.git", "--mirror", "https://example.org/m.git")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	cwd, err := os.Getwd() // runMain ran there
	if err != nil {
		t.Fatal(err)
	}
	if got, want := gittest.Git(t, dir, "config", "--global", "federation.loc.origin"), filepath.Join(cwd, "srv/origin.git"); got != want {
		t.Errorf("origin = %q, want %q", got, want)
	}
	mirrors := gittest.Git(t, dir, "config", "--global", "--get-all", "federation.loc.mirror")
	if want := filepath.Join(filepath.Dir(cwd), "m.git") + "\nhttps://example.org/m.git"; mirrors != want {
		t.Errorf("mirrors = %q, want %q", mirrors, want)
	}
}
