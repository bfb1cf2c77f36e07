package fedcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

const gitblitProperties = `#
# Gitblit settings (excerpt)
#
git.repositoriesFolder = ${baseFolder}/git
federation.name = central
federation.passphrase = do-not-print-me
federation.sets = public
federation.defaultFrequency = 60 mins

# Pull everything from the main server, as a mirror
federation.main.url = https://gitblit.example.com/
federation.main.token = 6f3b8a24bf970f17289b234284c94f43eb42f0e4
federation.main.frequency = 2 hours
federation.main.folder = main
federation.main.bare = true
federation.main.mirror = true
federation.main.mergeAccounts = true
federation.main.include = apache/* \
    tools/*.git
federation.main.exclude = ~*

federation.lab.url: https://lab.example.com:8443
federation.lab.folder = labs/pulled
federation.lab.bare = false
`

func writeProperties(t *testing.T, content string) (file, base string) {
	base = t.TempDir()
	file = filepath.Join(base, "gitblit.properties")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, base
}

func TestImportGitblitDryRun(t *testing.T) {
	gittest.Isolate(t)
	file, base := writeProperties(t, gitblitProperties)
	stdio, out, errb := testIO("")
	if err := runImportGitblit(t.Context(), stdio, ImportGitblitOptions{File: file, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		`[federationset "lab"]`,
		"\torigin = https://lab.example.com:8443",
		"\tmirror = " + filepath.Join(base, "git", "labs", "pulled"),
		"\tfrequency = 60 mins",
		`[federate "https://lab.example.com:8443"]`,
		"\tforge = gitblit",
		`[federationset "main"]`,
		"\torigin = https://gitblit.example.com",
		"\tmirror = " + filepath.Join(base, "git", "main"),
		"\tinclude = apache/*",
		"\tinclude = tools/*.git",
		"\texclude = ~*",
		"\tfrequency = 2 hours",
		"\tforce = true",
		"\tprune = true",
		`[federate "https://gitblit.example.com"]`,
		"\tforge = gitblit",
	}, "\n") + "\n"
	if out.String() != want {
		t.Errorf("dry run printed:\n%s\nwant:\n%s", out, want)
	}
	for _, note := range []string{"git federate login https://gitblit.example.com", "mergeAccounts", "bare = false", "git federate token --passphrase-stdin"} {
		if !strings.Contains(errb.String(), note) {
			t.Errorf("notes lack %q:\n%s", note, errb)
		}
	}
	for _, secret := range []string{"6f3b8a24bf970f17289b234284c94f43eb42f0e4", "do-not-print-me"} {
		if strings.Contains(out.String()+errb.String(), secret) {
			t.Errorf("output shows %q", secret)
		}
	}
	if g := globalFederations(t); g != "" {
		t.Errorf("dry run wrote config: %q", g)
	}
}

func TestImportGitblitWritesGlobalConfig(t *testing.T) {
	gittest.Isolate(t)
	file, base := writeProperties(t, gitblitProperties)
	stdio, _, _ := testIO("")
	opts := ImportGitblitOptions{File: file, Repositories: "/srv/mirrors", Dir: t.TempDir()}
	if err := runImportGitblit(t.Context(), stdio, opts); err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, "", "config", "--global", "federationset.main.mirror"); got != "/srv/mirrors/main" {
		t.Errorf("mirror = %q (base %s)", got, base)
	}
	if got := gittest.Git(t, "", "config", "--global", "--get-all", "federationset.main.include"); got != "apache/*\ntools/*.git" {
		t.Errorf("include = %q", got)
	}
	if got := gittest.Git(t, "", "config", "--global", "federate.https://gitblit.example.com.forge"); got != "gitblit" {
		t.Errorf("forge = %q", got)
	}
	home, _ := os.UserHomeDir()
	cfg, _ := os.ReadFile(filepath.Join(home, ".gitconfig"))
	if strings.Contains(string(cfg), "6f3b8a24") || strings.Contains(string(cfg), "token") {
		t.Errorf("the Gitblit token reached git config:\n%s", cfg)
	}

	// Importing again would duplicate: it is refused unless --force.
	err := runImportGitblit(t.Context(), stdio, opts)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second import: %v", err)
	}
	opts.Force = true
	if err := runImportGitblit(t.Context(), stdio, opts); err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, "", "config", "--global", "--get-all", "federationset.main.origin"); got != "https://gitblit.example.com" {
		t.Errorf("origin after --force = %q", got)
	}
	if got := gittest.Git(t, "", "config", "--global", "--get-all", "federate.https://gitblit.example.com.forge"); got != "gitblit" {
		t.Errorf("forge after --force = %q", got)
	}
}

func TestImportGitblitRefusals(t *testing.T) {
	gittest.Isolate(t)
	for _, tt := range []struct{ name, props, want string }{
		{"no registrations", "federation.name = x\n", "no federation pull registrations"},
		{"bad url", "federation.x.url = ext::sh -c id\n", "remote-helper URLs"},
		{"bad frequency", "federation.x.url = https://a.example\nfederation.x.frequency = sometimes\n", "frequency"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file, _ := writeProperties(t, tt.props)
			stdio, _, _ := testIO("")
			err := runImportGitblit(t.Context(), stdio, ImportGitblitOptions{File: file, DryRun: true})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	stdio, _, _ := testIO("")
	if err := runImportGitblit(t.Context(), stdio, ImportGitblitOptions{File: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a missing file is not an error")
	}
}

func TestParseProperties(t *testing.T) {
	props, err := parseProperties(strings.NewReader("a=1\n  b : two words\nc three\n! comment\nd = x\\\n   y\ne = tab\\there\\u00e9\nf\\=g = h\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "1", "b": "two words", "c": "three", "d": "xy", "e": "tab\there\u00e9", "f=g": "h"}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("%s = %q, want %q", k, props[k], v)
		}
	}
	if len(props) != len(want) {
		t.Errorf("props: %q", props)
	}
}
