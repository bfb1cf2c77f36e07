package gittest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Binaries are the names this project installs.
var Binaries = []string{"git-remote-federate", "git-federate", "git-credential-federate"}

// Main builds the project's binaries into a temporary directory, puts it
// first on PATH, runs the tests and removes it. Call it from TestMain in
// packages whose tests run git against federate:: URLs.
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "federate-bin-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	os.Setenv("FEDERATE_TEST_BIN", dir)
	return m.Run()
}

// Build compiles every binary of cmd/ into dir.
func Build(dir string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	for _, name := range Binaries {
		cmd := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", filepath.Join(dir, name), "./cmd/"+name)
		// Built as scripts/release builds what users run, without cgo
		// and urfave/cli's document writers: the tests and benchmarks
		// run that program, whose processes start sooner (install.sh).
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", name, err, out)
		}
	}
	return nil
}

// BinDir is where Main put the binaries.
func BinDir(t testing.TB) string {
	dir := os.Getenv("FEDERATE_TEST_BIN")
	if dir == "" {
		t.Fatal("gittest.Main was not called from TestMain")
	}
	return dir
}

// ModuleRoot is the directory of this project's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}
