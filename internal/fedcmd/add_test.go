package fedcmd

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func TestAddWritesRepositoryConfig(t *testing.T) {
	gittest.Isolate(t)
	repo := gittest.NewWorkRepo(t)
	stdio, out, _ := testIO("")
	err := runAdd(t.Context(), stdio, AddOptions{Name: "apache.linkis", Dir: repo,
		Origin:  "https://github.com/apache/linkis.git",
		Mirrors: []string{"https://gitee.com/WeBankFinTech/linkis.git", "git@gitlab.example.com:mirrors/linkis.git"},
		Set:     []string{"fetchFrom=nearest", "exclude=refs/heads/dependabot/*", "exclude=refs/heads/tmp/*", "Frequency=2 hours", "syncOnFetch=yes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := gittest.Git(t, repo, "config", "--local", "--get-regexp", `^federation\.`)
	want := strings.Join([]string{
		"federation.apache.linkis.origin https://github.com/apache/linkis.git",
		"federation.apache.linkis.mirror https://gitee.com/WeBankFinTech/linkis.git",
		"federation.apache.linkis.mirror git@gitlab.example.com:mirrors/linkis.git",
		"federation.apache.linkis.fetchfrom nearest",
		"federation.apache.linkis.exclude refs/heads/dependabot/*",
		"federation.apache.linkis.exclude refs/heads/tmp/*",
		"federation.apache.linkis.frequency 2 hours",
		"federation.apache.linkis.synconfetch yes",
	}, "\n")
	if got != want {
		t.Errorf("config:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(out.String(), "git remote add apache.linkis federate::apache.linkis") {
		t.Errorf("no next step in %q", out)
	}
	// A login for each http(s) host, none for the ssh one.
	for _, host := range []string{"https://github.com ", "https://gitee.com "} {
		if !strings.Contains(out.String(), "git federate login "+host) {
			t.Errorf("no login step for %s in %q", host, out)
		}
	}
	if strings.Count(out.String(), "git federate login") != 2 {
		t.Errorf("login steps other than the two https hosts in %q", out)
	}
	if g := globalFederations(t); strings.Contains(g, "linkis") {
		t.Errorf("global config touched: %q", g)
	}
}

func TestAddGlobalWorksOutsideRepository(t *testing.T) {
	gittest.Isolate(t)
	stdio, out, _ := testIO("")
	err := runAdd(t.Context(), stdio, AddOptions{Name: "g", Dir: t.TempDir(), Global: true,
		Origin: "https://example.com/o.git", Mirrors: []string{"https://example.org/m.git"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, "", "config", "--global", "federation.g.origin"); got != "https://example.com/o.git" {
		t.Errorf("origin = %q", got)
	}
	if !strings.Contains(out.String(), "git clone federate::g") {
		t.Errorf("no clone hint in %q", out)
	}
}

func TestAddRefusesBadInput(t *testing.T) {
	gittest.Isolate(t)
	repo := gittest.NewWorkRepo(t)
	ok := AddOptions{Name: "f", Origin: "https://example.com/o.git", Mirrors: []string{"https://example.org/m.git"}}
	tests := []struct {
		name   string
		modify func(*AddOptions)
		want   string
	}{
		{"space in name", func(o *AddOptions) { o.Name = "a b" }, "letters, digits"},
		{"leading dash", func(o *AddOptions) { o.Name = "-x" }, "begins with '-'"},
		{"slash in name", func(o *AddOptions) { o.Name = "a/b" }, "no spaces, '/' or ':'"},
		{"control character", func(o *AddOptions) { o.Name = "a\x01" }, "letters, digits"},
		{"no origin", func(o *AddOptions) { o.Origin = "" }, "--origin URL is required"},
		{"no mirror", func(o *AddOptions) { o.Mirrors = nil }, "at least one --mirror"},
		{"ext::", func(o *AddOptions) { o.Mirrors = []string{"ext::sh -c touch% /tmp/pwned"} }, "remote-helper URLs"},
		{"fd::", func(o *AddOptions) { o.Origin = "fd::3" }, "remote-helper URLs"},
		{"option injection", func(o *AddOptions) { o.Mirrors = []string{"--upload-pack=touch /tmp/x"} }, "begins with '-'"},
		{"password in URL", func(o *AddOptions) { o.Mirrors = []string{"https://me:s3cret@gitee.com/a/b.git"} }, "git federate login https://gitee.com"},
		{"mirror is origin", func(o *AddOptions) { o.Mirrors = []string{"https://EXAMPLE.com/o"} }, "same repository"},
		{"unknown key", func(o *AddOptions) { o.Set = []string{"speed=fast"} }, "unknown key"},
		{"origin via set", func(o *AddOptions) { o.Set = []string{"origin=x"} }, "use --origin"},
		{"no equals", func(o *AddOptions) { o.Set = []string{"prune"} }, "want key=value"},
		{"bad bool", func(o *AddOptions) { o.Set = []string{"prune=maybe"} }, "not a boolean"},
		{"empty bool", func(o *AddOptions) { o.Set = []string{"force="} }, "want true or false"},
		{"bad fetchFrom", func(o *AddOptions) { o.Set = []string{"fetchFrom=fastest"} }, "origin or nearest"},
		{"bad frequency", func(o *AddOptions) { o.Set = []string{"frequency=often"} }, "N mins|hours|days"},
		{"glob without refs/", func(o *AddOptions) { o.Set = []string{"include=main"} }, "starts with refs/"},
		{"bad glob", func(o *AddOptions) { o.Set = []string{"include=refs/heads/["} }, "bad glob"},
		{"bad mirrorPush", func(o *AddOptions) { o.Set = []string{"mirrorPush=later"} }, "wait or background"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := ok
			opts.Dir = repo
			tt.modify(&opts)
			stdio, _, _ := testIO("")
			err := runAdd(t.Context(), stdio, opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if code := exitCodeOf(err); code != ExitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
			if out, _ := gittest.GitErr(repo, nil, "config", "--get-regexp", "^federation"); out != "" {
				t.Errorf("config written despite the error: %q", out)
			}
		})
	}
}

func TestAddExistingNeedsForce(t *testing.T) {
	gittest.Isolate(t)
	repo := gittest.NewWorkRepo(t)
	first := AddOptions{Name: "f", Dir: repo, Origin: "https://example.com/o.git", Mirrors: []string{"https://example.org/m.git"}, Set: []string{"prune=true"}}
	stdio, out, _ := testIO("")
	if err := runAdd(t.Context(), stdio, first); err != nil {
		t.Fatal(err)
	}
	second := AddOptions{Name: "f", Dir: repo, Origin: "https://example.com/new.git", Mirrors: []string{"https://example.org/new.git"}}
	err := runAdd(t.Context(), stdio, second)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second add: %v, want a refusal that mentions --force", err)
	}
	if got := gittest.Git(t, repo, "config", "federation.f.origin"); got != "https://example.com/o.git" {
		t.Errorf("refused add changed origin to %q", got)
	}
	out.Reset()
	second.Force = true
	if err := runAdd(t.Context(), stdio, second); err != nil {
		t.Fatal(err)
	}
	got := gittest.Git(t, repo, "config", "--get-regexp", "^federation")
	if want := "federation.f.origin https://example.com/new.git\nfederation.f.mirror https://example.org/new.git"; got != want {
		t.Errorf("after --force:\n%s\nwant:\n%s", got, want)
	}
	// What was replaced is printed, so nothing is lost.
	for _, old := range []string{"https://example.com/o.git", "https://example.org/m.git", "prune true"} {
		if !strings.Contains(out.String(), old) {
			t.Errorf("replaced value %q not shown in %q", old, out)
		}
	}
}

func TestRemove(t *testing.T) {
	gittest.Isolate(t)
	repo := gittest.NewWorkRepo(t)
	gittest.Git(t, repo, "config", "--global", "federation.g.origin", "https://example.com/o.git")
	gittest.Git(t, repo, "config", "--local", "federation.l.origin", "https://example.com/o.git")
	gittest.Git(t, repo, "config", "--local", "federationset.s.origin", "https://example.com/org")
	stdio, out, _ := testIO("")

	err := runRemove(t.Context(), stdio, RemoveOptions{Name: "g", Dir: repo})
	if err == nil || !strings.Contains(err.Error(), "git federate remove g --global") {
		t.Fatalf("removing a global federation without --global: %v", err)
	}
	if err := runRemove(t.Context(), stdio, RemoveOptions{Name: "g", Dir: repo, Global: true}); err != nil {
		t.Fatal(err)
	}
	if err := runRemove(t.Context(), stdio, RemoveOptions{Name: "l", Dir: repo}); err != nil {
		t.Fatal(err)
	}
	if err := runRemove(t.Context(), stdio, RemoveOptions{Name: "s", Dir: repo}); err != nil {
		t.Fatal(err)
	}
	if left, _ := gittest.GitErr(repo, nil, "config", "--get-regexp", "^federation"); left != "" {
		t.Errorf("left in config: %q", left)
	}
	if !strings.Contains(out.String(), `Removed federationset "s"`) {
		t.Errorf("output %q", out)
	}
	err = runRemove(t.Context(), stdio, RemoveOptions{Name: "gone", Dir: repo})
	if err == nil || exitCodeOf(err) != ExitUsage {
		t.Errorf("removing a missing federation: %v", err)
	}
}

func TestListShowsScopesAndOptions(t *testing.T) {
	gittest.Isolate(t)
	repo := gittest.NewWorkRepo(t)
	g := func(args ...string) { gittest.Git(t, repo, append([]string{"config"}, args...)...) }
	g("--global", "federation.shared.origin", "https://github.com/a/b.git")
	g("--global", "--add", "federation.shared.mirror", "https://gitee.com/a/b.git")
	g("--local", "--add", "federation.shared.mirror", "https://gitlab.com/a/b.git")
	g("--local", "federation.shared.fetchFrom", "nearest")
	g("--local", "--add", "federation.shared.include", "refs/heads/*")
	g("--local", "federation.shared.mirrorpush", "background")
	g("--global", "federationset.apache.origin", "https://github.com/apache")
	g("--global", "federationset.apache.mirror", "https://gitee.com/apache-mirror")

	stdio, out, _ := testIO("")
	if err := runList(t.Context(), stdio, ListOptions{JSON: true, Dir: repo}); err != nil {
		t.Fatal(err)
	}
	var items []Listed
	if err := json.Unmarshal(out.Bytes(), &items); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if len(items) != 2 {
		t.Fatalf("items: %+v", items)
	}
	f := items[0]
	if f.Name != "shared" || f.Kind != "federation" || f.Scope != "global+local" ||
		strings.Join(f.Mirrors, " ") != "https://gitee.com/a/b.git https://gitlab.com/a/b.git" ||
		f.Options["fetchFrom"] != "nearest" || f.Options["mirrorPush"] != "background" {
		t.Errorf("federation: %+v", f)
	}
	if inc, _ := f.Options["include"].([]any); len(inc) != 1 || inc[0] != "refs/heads/*" {
		t.Errorf("include: %#v", f.Options["include"])
	}
	if s := items[1]; s.Kind != "federationset" || s.Name != "apache" || s.Scope != "global" {
		t.Errorf("set: %+v", s)
	}

	out.Reset()
	if err := runList(t.Context(), stdio, ListOptions{Dir: repo}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"shared (global+local)", "  mirror  https://gitlab.com/a/b.git", "  fetchFrom = nearest", "apache federationset (global)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}
}

func TestListReportsBrokenConfig(t *testing.T) {
	gittest.Isolate(t)
	gittest.Git(t, "", "config", "--global", "federation.bad.origin", "ext::sh")
	stdio, out, _ := testIO("")
	err := runList(t.Context(), stdio, ListOptions{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "federation.bad.origin") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out.String(), "bad (global)") {
		t.Errorf("broken federation not listed: %q", out)
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		t.Errorf("broken config is a failure, not %d", ee.Code)
	}
}

func TestListEmpty(t *testing.T) {
	gittest.Isolate(t)
	stdio, out, _ := testIO("")
	if err := runList(t.Context(), stdio, ListOptions{JSON: true, Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out.String()) != "[]" {
		t.Errorf("got %q", out)
	}
}

func globalFederations(t *testing.T) string {
	out, _ := gittest.GitErr("", nil, "config", "--global", "--get-regexp", "^federation")
	return out
}

func TestAddWarnsAboutTheOtherScope(t *testing.T) {
	gittest.Isolate(t)
	repo := gittest.NewWorkRepo(t)
	gittest.Git(t, repo, "config", "--global", "federation.f.origin", "https://example.com/o.git")
	stdio, _, errb := testIO("")
	err := runAdd(t.Context(), stdio, AddOptions{Name: "f", Dir: repo,
		Origin: "https://example.com/o.git", Mirrors: []string{"https://example.org/m.git"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "also defined in the global config") {
		t.Errorf("no warning: %q", errb)
	}
}

// A second federation of the same origin is written, with a warning that
// federate::<origin> now names neither; doctor says so too.
func TestAddWarnsAboutASharedOrigin(t *testing.T) {
	gittest.Isolate(t)
	repo := gittest.NewWorkRepo(t)
	add := func(name, origin string) string {
		stdio, _, errb := testIO("")
		err := runAdd(t.Context(), stdio, AddOptions{Name: name, Dir: repo, Global: true,
			Origin: origin, Mirrors: []string{"https://example.org/" + name + ".git"}})
		if err != nil {
			t.Fatal(err)
		}
		return errb.String()
	}
	if warn := add("app", "https://example.com/app.git"); warn != "" {
		t.Errorf("warning for the first federation: %q", warn)
	}
	warn := add("tags", "https://EXAMPLE.com/app")
	if !strings.Contains(warn, "https://EXAMPLE.com/app is also the origin of app; federate::https://EXAMPLE.com/app will not choose between them") {
		t.Errorf("warning = %q", warn)
	}
	if got := gittest.Git(t, "", "config", "--global", "federation.tags.origin"); got != "https://EXAMPLE.com/app" {
		t.Errorf("the second federation was not written: %q", got)
	}

	stdio, out, _ := testIO("")
	_ = runDoctor(t.Context(), stdio, doctorOpts(t)) // the servers do not exist
	if want := "WARN  origin https://example.com/app.git: the origin of federations app, tags: federate::https://example.com/app.git names none of them"; !strings.Contains(out.String(), want) {
		t.Errorf("doctor lacks %q:\n%s", want, out)
	}
}
