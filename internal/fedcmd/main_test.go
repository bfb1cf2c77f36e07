package fedcmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func TestMain(m *testing.M) { os.Exit(gittest.Main(m)) }

// result is what one run of the CLI did.
type result struct {
	code        int
	stdout, err string
}

// runBinary runs the built git-federate in dir with stdin.
func runBinary(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(gittest.BinDir(t), "git-federate"), args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("git-federate %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), err: errb.String()}
}

// runMain runs Main in-process in dir.
func runMain(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	if dir != "" {
		t.Chdir(dir)
	}
	var out, errb bytes.Buffer
	code := Main(t.Context(), args, strings.NewReader(stdin), &out, &errb)
	return result{code: code, stdout: out.String(), err: errb.String()}
}

func testIO(stdin string) (IO, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return IO{In: strings.NewReader(stdin), Out: &out, Err: &errb}, &out, &errb
}

// exitCodeOf is the status Main would give err.
func exitCodeOf(err error) int {
	var b bytes.Buffer
	return exitCode(err, &b)
}
