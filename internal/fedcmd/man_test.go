package fedcmd

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// render formats a roff page as man would show it, without overstrikes.
func render(t *testing.T, page string) string {
	t.Helper()
	if _, err := exec.LookPath("groff"); err != nil {
		t.Fatal("groff is needed to render the manual pages (package groff-base)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "groff", "-man", "-Tutf8", "-P-cbou", "-rLL=200n", "-ww")
	cmd.Stdin = strings.NewReader(page)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("groff: %v\n%s", err, errb.String())
	}
	if errb.Len() > 0 {
		t.Errorf("groff warns about the page:\n%s", errb.String())
	}
	return out.String()
}

func TestManPages(t *testing.T) {
	gittest.Isolate(t)
	r := runMain(t, "", "", "man")
	if r.code != 0 {
		t.Fatalf("man: exit %d: %s", r.code, r.err)
	}
	if !strings.HasPrefix(r.stdout, `.TH "GIT-FEDERATE" "1" `) {
		t.Errorf("header: %q", strings.SplitN(r.stdout, "\n", 2)[0])
	}
	page := render(t, r.stdout)
	for _, want := range []string{
		"GIT-FEDERATE(1)",
		"git-federate - one git remote for a whole federation of servers",
		"git federate sync [name…|--all]",
		"--passphrase-stdin",
		"--origin URL",
		"credential.<url>.username",
		"federation.<name>.mirrorPush",
		"FEDERATE_TOKEN_<HOST>",
		"JOB_COMPLETION_INDEX",
		"EXIT STATUS",
		"Partial: some mirrors failed",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("rendered git-federate(1) lacks %q", want)
		}
	}
	app := NewApp(IO{})
	for _, c := range app.VisibleCommands() {
		if !strings.Contains(page, "git federate "+c.Name) {
			t.Errorf("git-federate(1) has no section for %s", c.Name)
		}
	}

	r = runMain(t, "", "", "man", "git-remote-federate")
	if r.code != 0 {
		t.Fatalf("man git-remote-federate: exit %d: %s", r.code, r.err)
	}
	page = render(t, r.stdout)
	for _, want := range []string{"GIT-REMOTE-FEDERATE(1)", "federate::<name>", "federate::<origin-url>", "ext:: and fd:: are refused"} {
		if !strings.Contains(page, want) {
			t.Errorf("rendered git-remote-federate(1) lacks %q", want)
		}
	}
	if r := runMain(t, "", "", "man", "bogus"); r.code != ExitUsage {
		t.Errorf("man bogus: exit %d, want 2", r.code)
	}
}
