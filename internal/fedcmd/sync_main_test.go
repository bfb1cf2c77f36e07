package fedcmd

import (
	"os"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestMain builds the binaries: sync's child git calls git-federate back
// for tokens, and some tests run `git-federate sync` as a process.
func TestMain(m *testing.M) { os.Exit(gittest.Main(m)) }
