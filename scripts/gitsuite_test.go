package scripts

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// scripts/gitsuite runs git's own test scripts, which need a built git
// source tree CI does not have; its report (-r) is what these tests
// check, from logs written as git's test library writes them.

// runGitsuite runs scripts/gitsuite with args and extra environment and
// returns its stdout, stderr and exit code.
func runGitsuite(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root, err := gittest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "gitsuite"), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("gitsuite: %v\n%s", err, errOut.String())
	}
	return out.String(), errOut.String(), code
}

// writeLog writes the log of script in mode under dir.
func writeLog(t *testing.T, dir, mode, script, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, mode), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, mode, script+".log"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const plainLog = `expecting success of 5541.1 'push': 
	git push origin main

ok 1 - push

expecting success of 5541.2 'rejected update prints status': 
	test_cmp exp cmp

ok 2 - rejected update prints status
ok 3 # skip push shows progress when stderr is a tty (missing TTY)

checking known breakage of 5541.4 'dumb push': 
not ok 4 - dumb push # TODO known breakage
expecting success of 5541.5 'progress': 
ok 5 - progress
# passed all 5 test(s)
1..5
`

const routedLog = `expecting success of 5541.1 'push': 
	git push origin main

To federate::http://127.0.0.1:5541/smart/repo.git
ok 1 - push

expecting success of 5541.2 'rejected update prints status': 
	test_cmp exp cmp

--- exp	2026-12-06 05:45:56.409622843 +0000
+++ cmp	2026-12-06 05:45:56.639125290 +0000
@@ -1,4 +1,4 @@
 remote: error: hook declined to update refs/heads/dev2
-To http://127.0.0.1:5541/smart/test_repo.git
+To federate::http://127.0.0.1:5541/smart/test_repo.git
  ! [remote rejected] dev2 -> dev2 (hook declined)
not ok 2 - rejected update prints status
#	
#		test_cmp exp cmp
#	
ok 3 # skip push shows progress when stderr is a tty (missing TTY)

checking known breakage of 5541.4 'dumb push': 
not ok 4 - dumb push # TODO known breakage
expecting success of 5541.5 'progress': 
	git push --progress >output 2>&1 &&
	test_i18ngrep "^Writing objects" output

error: 'grep ^Writing objects output' didn't find a match in:
Total 3 (delta 1), reused 0 (delta 0), pack-reused 0
To federate::http://127.0.0.1:5541/smart/test_repo.git
not ok 5 - progress
# failed 2 among 5 test(s)
1..5
`

// TestGitsuiteReport counts each mode's results and lists the tests
// that pass with plain git and fail routed, telling a URL that names
// federate:: from a real difference.
func TestGitsuiteReport(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, "plain", "t5541-http-push-smart", plainLog)
	writeLog(t, dir, "transport", "t5541-http-push-smart", routedLog)
	out, errOut, code := runGitsuite(t, nil, "-r", "-o", dir, "-m", "plain,transport,direct", "t5541")
	if code != 0 {
		t.Fatalf("gitsuite -r: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"| script | plain | transport | direct |",
		"| t5541-http-push-smart | 3 passed, 0 failed, 1 skipped | 1 passed, 2 failed, 1 skipped | not run |",
		"transport: t5541-http-push-smart 2: rejected update prints status [failed check: only the federate:: name differs]\n",
		"transport: t5541-http-push-smart 5: progress\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "dumb push") {
		t.Errorf("a known breakage is listed as a failure:\n%s", out)
	}
}

// TestGitsuiteNeedsBuiltGit refuses to run without a built git source
// tree, saying what it needs, and never fetches or builds one.
func TestGitsuiteNeedsBuiltGit(t *testing.T) {
	_, errOut, code := runGitsuite(t, []string{"GIT_SRC="})
	if code == 0 || !strings.Contains(errOut, "set GIT_SRC to a built git source tree") {
		t.Errorf("without GIT_SRC: exit %d, %q", code, errOut)
	}
	_, errOut, code = runGitsuite(t, []string{"GIT_SRC=" + t.TempDir()})
	if code == 0 || !strings.Contains(errOut, "is not a built git source tree") {
		t.Errorf("with an empty GIT_SRC: exit %d, %q", code, errOut)
	}
}
