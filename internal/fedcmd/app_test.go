package fedcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/urfave/cli/v2"
)

func TestBinaryExitCodes(t *testing.T) {
	gittest.Isolate(t)
	outside := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  string // substring of the one error line; "" for none
		stdout  string
		pipedIn string
	}{
		{"no command shows help", nil, 0, "", "USAGE", ""},
		{"help", []string{"--help"}, 0, "", "add", ""},
		{"command help", []string{"add", "--help"}, 0, "", "--origin", ""},
		{"auth help describes it", []string{"auth", "--help"}, 0, "", "DESCRIPTION:", ""},
		{"help command", []string{"help", "import-gitblit"}, 0, "", "gitblit.properties", ""},
		{"help for an unknown command", []string{"help", "bogus"}, 2, `"bogus" is not a git federate command`, "", ""},
		{"short help", []string{"-h"}, 0, "", "import-gitblit", ""},
		{"help of a command by flag after args", []string{"add", "x", "-h"}, 0, "", "--mirror", ""},
		{"unknown command", []string{"bogus"}, 2, `"bogus" is not a git federate command`, "", ""},
		{"unknown flag", []string{"add", "--bogus"}, 2, "unknown option --bogus. See 'git federate add --help'", "", ""},
		{"unknown root flag", []string{"--bogus"}, 2, "unknown option --bogus", "", ""},
		{"unknown short flag", []string{"status", "-q"}, 2, "unknown option -q.", "", ""},
		{"misspelt command", []string{"stauts"}, 2, "The most similar command is\n\tstatus", "", ""},
		{"misspelt flag", []string{"add", "x", "--mirorr", "/m"}, 2, `unknown option --mirorr; did you mean "--mirror"? See 'git federate add --help'.`, "", ""},
		{"misspelt root flag", []string{"--verison"}, 2, `unknown option --verison; did you mean "--version"? See 'git federate --help'.`, "", ""},
		{"short flag gets no guess", []string{"status", "-z"}, 2, "unknown option -z. See 'git federate status --help'.", "", ""},
		{"misspelt command after help", []string{"help", "snyc"}, 2, "The most similar command is\n\tsync", "", ""},
		{"remove an unknown name", []string{"remove", "--global", "nosuch"}, 2, `no federation "nosuch"`, "", ""},
		{"missing argument", []string{"add"}, 2, "usage: git federate add", "", ""},
		{"extra argument", []string{"list", "extra"}, 2, "usage: git federate list", "", ""},
		{"missing origin", []string{"add", "x", "--mirror", "/m"}, 2, "--origin URL is required", "", ""},
		{"bad URL", []string{"add", "x", "--origin", "ext::sh -c id", "--mirror", "/m", "--global"}, 2, "ext::", "", ""},
		{"token without stdin flag", []string{"token"}, 2, "--passphrase-stdin is required", "", ""},
		{"completion for an unknown shell", []string{"completion", "fish"}, 2, "bash or zsh", "", ""},
		{"repository scope outside a repository", []string{"add", "x", "--origin", "/o", "--mirror", "/m"}, 1, "add --global", "", ""},
		{"success", []string{"token", "--passphrase-stdin"}, 0, "", "REPOSITORIES", "pw\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBinary(t, outside, tt.pipedIn, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.err)
			}
			if tt.stderr == "" {
				if r.err != "" {
					t.Errorf("stderr: %q, want none", r.err)
				}
			} else {
				if !strings.Contains(r.err, tt.stderr) {
					t.Errorf("stderr %q does not contain %q", r.err, tt.stderr)
				}
				if n := strings.Count(r.err, "error:"); n != 1 || !strings.HasPrefix(r.err, "error: ") {
					t.Errorf("want the error printed once as \"error: ...\", got %q", r.err)
				}
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tt.stdout)
			}
		})
	}
}

// A git child that fails makes the command fail with status 1, as the
// manual says, not with git's own 128.
func TestGitFailureExitsOne(t *testing.T) {
	home := gittest.Isolate(t)
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[broken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"sync", "--all"}, {"list"}} {
		r := runBinary(t, t.TempDir(), "", args...)
		if r.code != ExitFailure || !strings.Contains(r.err, "bad config line 1") {
			t.Errorf("%v: exit %d, want 1 naming the bad line\n%s", args, r.code, r.err)
		}
	}
}

func TestFlagsMayFollowArguments(t *testing.T) {
	gittest.Isolate(t)
	repo := gittest.NewWorkRepo(t)
	r := runMain(t, repo, "", "add", "fed", "--no-check", "--origin", "https://example.com/o.git", "--mirror=https://example.org/m.git", "--set", "prune=true")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	if got := gittest.Git(t, repo, "config", "--local", "federation.fed.mirror"); got != "https://example.org/m.git" {
		t.Errorf("mirror = %q", got)
	}
	if got := gittest.Git(t, repo, "config", "--local", "federation.fed.prune"); got != "true" {
		t.Errorf("prune = %q", got)
	}
}

func TestInterspersedKeepsDoubleDash(t *testing.T) {
	app := NewApp(IO{})
	got := strings.Join(interspersed(app, []string{"add", "n", "--global", "--origin", "o", "--", "-odd"}), " ")
	if want := "add --global --origin o -- n -odd"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRequiredFlagIsUsageError(t *testing.T) {
	c := &cli.Command{Name: "x", Flags: []cli.Flag{&cli.StringFlag{Name: "must", Required: true}},
		Action: func(*cli.Context) error { return nil }}
	harden(c)
	stdio, _, _ := testIO("")
	app := NewApp(stdio)
	app.Commands = []*cli.Command{c}
	if code := exitCodeOf(app.Run([]string{"git-federate", "x"})); code != ExitUsage {
		t.Errorf("missing required flag: exit %d, want 2", code)
	}
	if code := exitCodeOf(app.Run([]string{"git-federate", "x", "--must", "v"})); code != 0 {
		t.Errorf("with the flag: exit %d, want 0", code)
	}
}
