package fedcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestManualCoversTheCLI checks that docs/manual.md names every command,
// flag, config key and environment variable the program defines, so the
// manual cannot fall behind the code.
func TestManualCoversTheCLI(t *testing.T) {
	root, err := gittest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "docs", "manual.md"))
	if err != nil {
		t.Fatal(err)
	}
	manual := string(b)
	app := NewApp(IO{})
	for _, c := range app.VisibleCommands() {
		if !strings.Contains(manual, "git federate "+c.Name) {
			t.Errorf("docs/manual.md does not mention the command `git federate %s`", c.Name)
		}
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				if len(n) > 1 && !strings.Contains(manual, "--"+n) {
					t.Errorf("docs/manual.md does not mention %s's flag --%s", c.Name, n)
				}
			}
		}
	}
	for _, k := range configKeys() {
		if !strings.Contains(manual, "`"+k.Name+"`") {
			t.Errorf("docs/manual.md does not document the config key %s", k.Name)
		}
	}
	for _, e := range envVars() {
		for _, name := range strings.Split(e.Name, ", ") {
			if !strings.Contains(manual, name) {
				t.Errorf("docs/manual.md does not document the environment variable %s", name)
			}
		}
	}
}
