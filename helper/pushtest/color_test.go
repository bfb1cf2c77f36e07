package pushtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// onTerminal runs git with args in the work repository on a terminal of
// its own (script(1) gives it one, TERM=xterm), env added, and returns
// what the terminal showed.
func (f *fed) onTerminal(env []string, args ...string) string {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	line := "git"
	for _, a := range args {
		line += " " + gitexec.ShellQuote(a)
	}
	cmd := exec.CommandContext(ctx, "script", "-qec", line, "/dev/null")
	cmd.Dir = f.work
	cmd.Env = append(append(os.Environ(), "TERM=xterm"), env...)
	out, err := cmd.Output()
	if ctx.Err() != nil {
		f.t.Fatalf("git %s on a terminal: %v\n%s", strings.Join(args, " "), err, out)
	}
	f.checkNoSecrets(string(out))
	return string(out)
}

// On a terminal, a hook's words come coloured as git colours them (its
// "error:" in red by default, plain with color.remote or color.ui off,
// color.remote before color.ui), and the push asks no git for the
// setting: it comes with the helper's one read of git config.
func TestServerWordsColouredAsGitColoursThem(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatalf("script(1) is not installed (util-linux's bsdutils, in every Debian): %v", err)
	}
	for _, config := range [][]string{nil, {"color.remote", "never"}, {"color.ui", "false"}, {"color.ui", "never", "color.remote", "always"}} {
		t.Run(strings.Join(config, "="), func(t *testing.T) {
			f := newFed(t, config...)
			hook(t, f.origin.Path, "pre-receive", "cat >/dev/null\necho 'error: not today' >&2\nexit 1\n")
			f.commit("a.txt", "a")
			helper := "!f() { echo username=x; echo password=origin-token; }; f"
			plain := f.onTerminal(nil, "-c", "credential.helper=", "-c", "credential.helper="+helper, "push", f.origin.URL, "main")
			trace := filepath.Join(t.TempDir(), "trace2.json")
			fed := f.onTerminal([]string{"GIT_TRACE2_EVENT=" + trace}, "push", "fed", "main")
			f.wantDirect()
			words := regexp.MustCompile(`remote: [^\r\n]*not today`)
			want, got := words.FindString(plain), words.FindString(fed)
			if want == "" || got != want {
				t.Errorf("the hook's words: federate showed %q, git %q\n--- federate:\n%s\n--- git:\n%s", got, want, fed, plain)
			}
			if coloured := strings.Contains(want, "\x1b["); coloured != (config == nil || config[len(config)-1] == "always") {
				t.Errorf("git's own words %q: coloured %v, which this test does not expect of %v", want, coloured, config)
			}
			for _, args := range gittest.GitStarts(t, trace) {
				if slices.Contains(args, "--get-colorbool") {
					t.Errorf("the push ran git %s: the colour setting came with the helper's read", strings.Join(args, " "))
				}
			}
		})
	}
}
