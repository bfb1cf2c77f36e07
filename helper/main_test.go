package helper

import (
	"os"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func TestMain(m *testing.M) { os.Exit(gittest.Main(m)) }
