package federation

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func entries(kv ...string) []Entry {
	var e []Entry
	for i := 0; i+1 < len(kv); i += 2 {
		e = append(e, Entry{Key: kv[i], Value: kv[i+1]})
	}
	return e
}

func TestParseFederation(t *testing.T) {
	c, err := Parse(entries(
		"federation.linkis.origin", "https://github.com/apache/linkis.git",
		"federation.linkis.mirror", "https://gitee.com/WeBankFinTech/linkis.git",
		"federation.linkis.mirror", "https://gitlab.example.com/mirrors/linkis.git",
		"federation.linkis.pushOrigin", "false",
		"federation.linkis.requireMirrors", "yes",
		"federation.linkis.fetchFrom", "Nearest",
		"federation.linkis.failover", "off",
		"federation.linkis.syncOnFetch", "1",
		"federation.linkis.include", "refs/heads/*",
		"federation.linkis.include", "refs/tags/v*",
		"federation.linkis.exclude", "refs/heads/dependabot/*",
		"federation.linkis.frequency", "2 hours",
		"federation.linkis.timeout", "45s",
		"federation.linkis.force", "true",
		"federation.linkis.prune", "on",
		"federation.linkis.createMissing", "",
		"federation.linkis.mirrorpush", "Background",
		"federation.linkis.lfs", "off",
		"user.name", "ignored",
		"federation.linkis.unknownKey", "ignored",
	))
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Lookup("linkis")
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "linkis" || f.Origin.Raw != "https://github.com/apache/linkis.git" {
		t.Errorf("name/origin = %q %q", f.Name, f.Origin.Raw)
	}
	var mirrors []string
	for _, m := range f.Mirrors {
		mirrors = append(mirrors, m.Raw)
	}
	if want := []string{"https://gitee.com/WeBankFinTech/linkis.git", "https://gitlab.example.com/mirrors/linkis.git"}; !reflect.DeepEqual(mirrors, want) {
		t.Errorf("mirrors = %q, want %q", mirrors, want)
	}
	want := Options{
		PushOrigin: false, RequireMirrors: true, FetchFrom: FetchFromNearest, Failover: false,
		SyncOnFetch: true, Include: []string{"refs/heads/*", "refs/tags/v*"},
		Exclude: []string{"refs/heads/dependabot/*"}, Frequency: 2 * time.Hour,
		Force: true, Prune: true, CreateMissing: true, MirrorPush: MirrorPushBackground,
		Timeout: 45 * time.Second,
		LFS:     "false",
	}
	if !reflect.DeepEqual(f.Options, want) {
		t.Errorf("options:\n got %+v\nwant %+v", f.Options, want)
	}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse(entries("federation.x.origin", "https://example.com/x"))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Federations["x"]
	if !reflect.DeepEqual(f.Options, DefaultOptions()) {
		t.Errorf("options = %+v, want defaults %+v", f.Options, DefaultOptions())
	}
	if len(f.Mirrors) != 0 {
		t.Errorf("mirrors = %v", f.Mirrors)
	}
	if !f.PushOrigin || !f.Failover || f.FetchFrom != FetchFromOrigin || f.Force || f.Prune {
		t.Errorf("defaults differ from the key table: %+v", f.Options)
	}
}

// TestParseLaterOverrides follows git's order: a repository's value comes
// after the global one and wins for single-valued keys, while multi-valued
// keys add up until an empty value resets them.
func TestParseLaterOverrides(t *testing.T) {
	c, err := Parse(entries(
		"federation.x.origin", "https://old.example.com/x",
		"federation.x.mirror", "https://m1.example.com/x",
		"federation.x.pushorigin", "false",
		"federation.x.origin", "https://new.example.com/x",
		"federation.x.mirror", "https://m2.example.com/x",
		"FEDERATION.x.PUSHORIGIN", "true",
		"federation.x.include", "refs/heads/*",
		"federation.x.include", "",
		"federation.x.include", "refs/tags/*",
		"federation.x.mirror", "",
		"federation.x.mirror", "https://m3.example.com/x",
	))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Federations["x"]
	if f.Origin.Host != "new.example.com" {
		t.Errorf("origin = %s, want the later one", f.Origin.Raw)
	}
	if !f.PushOrigin {
		t.Error("pushOrigin: the later value (any case of key) should win")
	}
	if !reflect.DeepEqual(f.Include, []string{"refs/tags/*"}) {
		t.Errorf("include = %q, want only what follows the empty reset", f.Include)
	}
	if len(f.Mirrors) != 1 || f.Mirrors[0].Host != "m3.example.com" {
		t.Errorf("mirrors = %+v, want m3 only", f.Mirrors)
	}
}

// A section that a later file adds to, after other sections came, is
// read with all its entries: a federation missing its origin in one file
// and given it in another is whole, and one given a bad mirror later is
// refused.
func TestParseSectionReopened(t *testing.T) {
	c, err := Parse(entries(
		"federation.a.mirror", "https://m.example.com/a",
		"federation.b.origin", "https://o.example.com/b",
		"federation.b.mirror", "https://m.example.com/b",
		"federation.a.origin", "https://o.example.com/a",
		"federation.c.origin", "https://o.example.com/c",
		"federation.b.mirror", "ext::sh -c evil",
		"federate.https://o.example.com.forge", "gitlab",
		"federation.c.mirror", "https://m.example.com/c",
	))
	if err == nil || !strings.Contains(err.Error(), "federation.b.mirror") || strings.Contains(err.Error(), "federation.a.") {
		t.Errorf("error = %v, want b's mirror alone", err)
	}
	if a := c.Federations["a"]; a == nil || a.Origin.Host != "o.example.com" || len(a.Mirrors) != 1 {
		t.Errorf("a = %+v, want its origin from the later entry and its mirror", a)
	}
	if _, ok := c.Federations["b"]; ok || c.Invalid["b"] == nil {
		t.Errorf("b is valid; its later mirror is a remote-helper URL")
	}
	if f := c.Federations["c"]; f == nil || len(f.Mirrors) != 1 {
		t.Errorf("c = %+v, want its mirror, given after a host section", f)
	}
	if len(c.Hosts) != 1 || c.ForgeOf("https", "o.example.com") != forge.GitLab {
		t.Errorf("hosts = %+v", c.Hosts)
	}
}

func TestParseSubsectionCaseAndDots(t *testing.T) {
	c, err := Parse(entries(
		"federation.My.Repo.origin", "https://example.com/a",
		"federation.my.repo.origin", "https://example.com/b",
	))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Names(); !reflect.DeepEqual(got, []string{"My.Repo", "my.repo"}) {
		t.Errorf("names = %q: subsection names are case-sensitive and may hold dots", got)
	}
}

func TestParseErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		kv   []string
		want string
	}{
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.pushOrigin", "maybe"}, "federation.x.pushOrigin"},
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.requireMirrors", "2"}, "federation.x.requireMirrors"},
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.syncOnFetch", "nah"}, "federation.x.syncOnFetch"},
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.createMissing", "nah"}, "federation.x.createMissing"},
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.fetchFrom", "fastest"}, "federation.x.fetchFrom"},
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.frequency", "often"}, "federation.x.frequency"},
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.mirrorPush", "later"}, "federation.x.mirrorPush"},
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.frequency", "2 weeks"}, "federation.x.frequency"},
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.include", "refs/heads/["}, "federation.x.include"},
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.exclude", "refs/[a-"}, "federation.x.exclude"},
		{[]string{"federation.x.mirror", "https://e.com/x"}, "federation.x.origin"},
		{[]string{"federation.x.origin", "ext::sh -c evil"}, "federation.x.origin"},
		{[]string{"federation.x.origin", "https://e.com/x", "federation.x.mirror", "-oProxyCommand=evil"}, "federation.x.mirror"},
		{[]string{"federationset.apache.mirror", "https://gitee.com/m"}, "federationset.apache.origin"},
		{[]string{"federationset.apache.origin", "https://github.com/apache", "federationset.apache.force", "sure"}, "federationset.apache.force"},
	}
	for _, tt := range tests {
		_, err := Parse(entries(tt.kv...))
		if err == nil {
			t.Errorf("%q: no error", tt.kv)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %q does not name %s", tt.kv, err, tt.want)
		}
	}
}

func TestParseErrorKeepsGoodFederations(t *testing.T) {
	c, err := Parse(entries(
		"federation.bad.origin", "https://e.com/x",
		"federation.bad.force", "perhaps",
		"federation.good.origin", "https://e.com/y",
	))
	if err == nil {
		t.Fatal("no error for federation.bad.force")
	}
	if _, lerr := c.Lookup("good"); lerr != nil {
		t.Errorf("one bad federation hides a good one: %v", lerr)
	}
}

func TestParseBool(t *testing.T) {
	for v, want := range map[string]bool{
		"": true, "true": true, "TRUE": true, "yes": true, "on": true, "1": true,
		"false": false, "No": false, "off": false, "0": false, " true ": true,
	} {
		got, err := ParseBool(v)
		if err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"2", "maybe", "tru"} {
		if _, err := ParseBool(v); err == nil {
			t.Errorf("ParseBool(%q) accepted", v)
		}
	}
}

func TestParseFrequency(t *testing.T) {
	good := map[string]time.Duration{
		"2 hours":  2 * time.Hour,
		"1 hour":   time.Hour,
		"30 mins":  30 * time.Minute,
		"10 min":   10 * time.Minute,
		"10":       10 * time.Minute,
		"1 day":    24 * time.Hour,
		"3 days":   72 * time.Hour,
		"2 Hours":  2 * time.Hour,
		" 7 mins ": 7 * time.Minute,
		"6 h":      6 * time.Hour,
		// The 5-minute minimum applies to the duration after the unit:
		// "1 hour" is an hour, not max(1, 5) hours as in Gitblit.
		"5": 5 * time.Minute,
	}
	for v, want := range good {
		got, err := ParseFrequency(v)
		if err != nil || got != want {
			t.Errorf("ParseFrequency(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"1 min", "1 mins", "4", "", "0", "-5 mins", "often", "2 weeks", "5 mins later", "1.5 hours",
		"99999999999999999999 days", "9999999999999 days"} {
		if d, err := ParseFrequency(v); err == nil {
			t.Errorf("ParseFrequency(%q) = %v, want an error", v, d)
		}
	}
}

func TestParseSetAndHosts(t *testing.T) {
	c, err := Parse(entries(
		"federationset.apache.origin", "https://github.com/apache",
		"federationset.apache.mirror", "https://gitee.com/apache-mirror",
		"federationset.apache.include", "linkis*",
		"federationset.apache.exclude", "*-website",
		"federationset.apache.prune", "true",
		"federate.https://gitlab.example.com.forge", "gitlab",
		"federate.https://gitlab.example.com.api", "https://gitlab.example.com/api/v4",
	))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sets["apache"]
	if s == nil || s.Origin != "https://github.com/apache" || !reflect.DeepEqual(s.Mirrors, []string{"https://gitee.com/apache-mirror"}) {
		t.Fatalf("set = %+v", s)
	}
	if !reflect.DeepEqual(s.Include, []string{"linkis*"}) || !reflect.DeepEqual(s.Exclude, []string{"*-website"}) {
		t.Errorf("set filters = %q / %q", s.Include, s.Exclude)
	}
	if !s.Prune || s.Options.Include != nil {
		t.Errorf("set options = %+v: prune set, ref globs untouched by repository globs", s.Options)
	}
	want := []Host{{URL: "https://gitlab.example.com", Forge: "gitlab", API: "https://gitlab.example.com/api/v4"}}
	if !reflect.DeepEqual(c.Hosts, want) {
		t.Errorf("hosts = %+v", c.Hosts)
	}
}

func TestResolve(t *testing.T) {
	c, err := Parse(entries(
		"federation.linkis.origin", "https://github.com/apache/linkis.git",
		"federation.linkis.mirror", "https://gitee.com/WeBankFinTech/linkis.git",
		"federation.https://github.com/odd/name.origin", "https://example.com/odd",
	))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("name", func(t *testing.T) {
		f, err := c.Resolve("linkis", "")
		if err != nil || f.Name != "linkis" || len(f.Mirrors) != 1 {
			t.Fatalf("Resolve(linkis) = %+v, %v", f, err)
		}
	})
	t.Run("a name wins over the URL it spells", func(t *testing.T) {
		f, err := c.Resolve("https://github.com/odd/name", "")
		if err != nil || f.Origin.Host != "example.com" {
			t.Fatalf("= %+v, %v", f, err)
		}
	})
	t.Run("origin URL in another spelling finds the federation", func(t *testing.T) {
		for _, u := range []string{"https://github.com/apache/linkis", "https://GitHub.com:443/apache/linkis.git/"} {
			f, err := c.Resolve(u, "")
			if err != nil || f.Name != "linkis" || len(f.Mirrors) != 1 {
				t.Errorf("Resolve(%s) = %+v, %v", u, f, err)
			}
			if f != nil && f.Origin.Raw != "https://github.com/apache/linkis.git" {
				t.Errorf("Resolve(%s) origin = %s, want the configured one", u, f.Origin.Raw)
			}
		}
	})
	t.Run("unconfigured URL is an origin without mirrors", func(t *testing.T) {
		f, err := c.Resolve("https://example.com/other.git", "")
		if err != nil || f.Name != "" || f.Origin.Raw != "https://example.com/other.git" || len(f.Mirrors) != 0 {
			t.Fatalf("= %+v, %v", f, err)
		}
		if !reflect.DeepEqual(f.Options, DefaultOptions()) {
			t.Errorf("options = %+v, want defaults", f.Options)
		}
	})
	t.Run("unknown name", func(t *testing.T) {
		t.Chdir(t.TempDir())
		f, err := c.Resolve("nosuch", "")
		if !errors.Is(err, ErrNoFederation) {
			t.Fatalf("Resolve(nosuch) = %+v, %v; want ErrNoFederation", f, err)
		}
		if !strings.Contains(err.Error(), "git federate add nosuch") {
			t.Errorf("error %q does not say how to define it", err)
		}
	})
	t.Run("existing local directory", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		gittest.Isolate(t)
		gittest.Git(t, dir, "init", "-q", "--bare", "repo.git")
		f, err := c.Resolve("repo.git", "")
		if err != nil || f.Origin.Protocol != "file" || f.Origin.Path != filepath.Join(dir, "repo.git") {
			t.Fatalf("Resolve(repo.git) = %+v, %v", f, err)
		}
	})
	t.Run("the directory a clone made for itself is not a path", func(t *testing.T) {
		// git clone federate::word makes ./word, and only then runs the
		// helper, with GIT_DIR in it.
		dir := t.TempDir()
		t.Chdir(dir)
		gittest.Isolate(t)
		gittest.Git(t, dir, "init", "-q", "linkiss")
		gittest.Git(t, dir, "init", "-q", "--bare", "bare")
		gittest.Git(t, dir, "init", "-q", "--separate-git-dir", filepath.Join(dir, "elsewhere"), "apart")
		for word, gitDir := range map[string]string{
			"linkiss": "linkiss/.git", "bare": filepath.Join(dir, "bare"), "apart": filepath.Join(dir, "elsewhere"),
		} {
			f, err := c.Resolve(word, gitDir)
			if !errors.Is(err, ErrNoFederation) {
				t.Errorf("Resolve(%s) into %s = %+v, %v; want ErrNoFederation", word, gitDir, f, err)
			}
		}
		if _, err := c.Resolve("linkiss", "linkiss/.git"); err == nil || !strings.Contains(err.Error(), `did you mean "linkis"`) {
			t.Errorf("a mistyped name: %v, want the nearest name", err)
		}
		// Another repository's directory is still a path.
		if f, err := c.Resolve("bare", "linkiss/.git"); err != nil || f.Origin.Protocol != "file" {
			t.Errorf("Resolve(bare) into linkiss = %+v, %v; want the local repository", f, err)
		}
	})
	t.Run("refused URL", func(t *testing.T) {
		if _, err := c.Resolve("ext::sh -c evil", ""); !errors.Is(err, ErrBadURL) {
			t.Errorf("ext:: = %v, want ErrBadURL", err)
		}
		if _, err := c.Resolve("-oProxyCommand=evil", ""); !errors.Is(err, ErrBadURL) {
			t.Errorf("leading dash = %v, want ErrBadURL", err)
		}
	})
}

func TestHostForLongestMatch(t *testing.T) {
	c, err := Parse(entries(
		"federate.https://git.example.com.forge", "gitlab",
		"federate.https://git.example.com/legacy.forge", "gitblit",
		"federate.https://git.example.com/legacy/new.forge", "gitea",
		"federate.https://git.example.com:8443.forge", "gitea",
		"federate.http://git.example.com.forge", "plain",
	))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"https://git.example.com/group/repo.git":      "gitlab",
		"https://GIT.example.com:443/group/repo.git":  "gitlab",
		"https://git.example.com/legacy/repo.git":     "gitblit",
		"https://git.example.com/legacy":              "gitblit",
		"https://git.example.com/legacyother/r.git":   "gitlab",
		"https://git.example.com/legacy/new/r.git":    "gitea",
		"https://git.example.com:8443/r.git":          "gitea",
		"http://git.example.com/r.git":                "plain",
		"ssh://git@git.example.com/r.git":             "",
		"https://other.example.com/r.git":             "",
		"https://sub.git.example.com/group/repo.git":  "",
		"https://git.example.com.evil.com/group/repo": "",
	}
	for raw, want := range tests {
		if got := c.HostFor(mustParse(t, raw)).Forge; got != want {
			t.Errorf("HostFor(%s).Forge = %q, want %q", raw, got, want)
		}
	}
}

func TestForgeOf(t *testing.T) {
	c, err := Parse(entries("federate.https://git.example.com.forge", "gitlab",
		"federate.https://github.com.forge", "gitea"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ protocol, host, want string }{
		{"https", "git.example.com", forge.GitLab},
		{"https", "gitee.com", forge.Gitee},
		{"https", "gitlab.com", forge.GitLab},
		{"https", "github.com", forge.Gitea}, // configuration beats the built-in table
		{"https", "unknown.example.com", forge.Plain},
	}
	for _, tt := range tests {
		if got := c.ForgeOf(tt.protocol, tt.host); got != tt.want {
			t.Errorf("ForgeOf(%s, %s) = %s, want %s", tt.protocol, tt.host, got, tt.want)
		}
	}
	var none *Config
	if got := none.ForgeOf("https", "github.com"); got != forge.GitHub {
		t.Errorf("nil config: ForgeOf(github.com) = %s", got)
	}
}

func TestCovers(t *testing.T) {
	def := &Federation{}
	custom := &Federation{Options: Options{
		Include: []string{"refs/heads/*", "refs/tags/v*", "refs/notes/commits"},
		Exclude: []string{"refs/heads/dependabot/*", "refs/heads/tmp-*"},
	}}
	// Globs ending in /* whose start is a pattern too are path.Match's.
	patterned := &Federation{Options: Options{Include: []string{"refs/*/main/*", "refs/h[ae]ads/*"}}}
	tests := []struct {
		f    *Federation
		ref  string
		want bool
	}{
		{def, "refs/heads/main", true},
		{def, "refs/heads/feature/deep/name", true},
		{def, "refs/tags/v1.0", true},
		{def, "refs/pull/1/head", false},
		{def, "refs/notes/commits", false},
		{def, "HEAD", false},
		{def, "refs/headsX/main", false},
		{custom, "refs/heads/main", true},
		{custom, "refs/heads/dependabot/npm/x", false},
		{custom, "refs/heads/dependabot", true},
		{custom, "refs/heads/tmp-1", false},
		{custom, "refs/tags/v2", true},
		{custom, "refs/tags/release-2", false},
		{custom, "refs/notes/commits", true},
		{custom, "refs/notes/other", false},
		{patterned, "refs/x/main/y", true},
		{patterned, "refs/haads/z", true},
		{patterned, "refs/heads/z", true},
		{patterned, "refs/hXads/z", false},
		{patterned, "refs/x/other/y", false},
	}
	for _, tt := range tests {
		if got := tt.f.Covers(tt.ref); got != tt.want {
			t.Errorf("Covers(%s) with include %q exclude %q = %v, want %v", tt.ref, tt.f.Include, tt.f.Exclude, got, tt.want)
		}
		if tt.f == def && coveredByDefault(tt.ref) != matchAny(DefaultInclude, tt.ref) {
			t.Errorf("%s: the default's shortcut and its globs disagree", tt.ref)
		}
	}
}

// TestLoad reads federations through real git config at two scopes, to
// check git's precedence (repository over global) reaches Parse intact.
func TestLoad(t *testing.T) {
	gittest.Isolate(t)
	repo := t.TempDir()
	gittest.Git(t, repo, "init", "-q")
	gittest.Git(t, "", "config", "--global", "federation.linkis.origin", "https://github.com/apache/linkis.git")
	gittest.Git(t, "", "config", "--global", "federation.linkis.mirror", "https://gitee.com/w/linkis.git")
	gittest.Git(t, "", "config", "--global", "federation.linkis.force", "false")
	gittest.Git(t, repo, "config", "federation.linkis.force", "true")
	gittest.Git(t, repo, "config", "--add", "federation.linkis.mirror", "https://gitlab.example.com/m/linkis.git")
	gittest.Git(t, repo, "config", "federate.https://gitlab.example.com.forge", "gitlab")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Load(ctx, "", repo)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Lookup("linkis")
	if err != nil {
		t.Fatal(err)
	}
	if !f.Force || len(f.Mirrors) != 2 {
		t.Errorf("force = %v (repository should win), mirrors = %d (both scopes)", f.Force, len(f.Mirrors))
	}
	if c.ForgeOf("https", "gitlab.example.com") != forge.GitLab {
		t.Errorf("hosts = %+v", c.Hosts)
	}

	t.Run("no federations", func(t *testing.T) {
		gittest.Isolate(t)
		empty, err := Load(ctx, "", t.TempDir())
		if err != nil || len(empty.Federations) != 0 {
			t.Errorf("Load with no federations = %+v, %v", empty, err)
		}
	})
}

// LoadWith reads other sections in the same git config run and hands
// them back apart, in git's order (global, then the repository's), for
// federations read as Load reads them.
func TestLoadWithOtherSections(t *testing.T) {
	gittest.Isolate(t)
	repo := t.TempDir()
	gittest.Git(t, repo, "init", "-q")
	gittest.Git(t, "", "config", "--global", "http.extraHeader", "X-A: 1")
	gittest.Git(t, "", "config", "--global", "federation.one.origin", "https://example.com/one.git")
	gittest.Git(t, repo, "config", "url.https://example.com/.insteadOf", "ex:")
	gittest.Git(t, repo, "config", "federation.two.origin", "https://example.com/two.git")
	gittest.Git(t, repo, "config", "credential.https://example.com.username", "me")
	gittest.Git(t, repo, "config", "user.name", "not asked for")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, others, err := LoadWith(ctx, gitexec.Runner{Dir: repo}, nil, "http", "url", "credential")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Federations) != 2 {
		t.Errorf("federations = %v", c.Names())
	}
	want := "http.extraheader=X-A: 1 url.https://example.com/.insteadof=ex: credential.https://example.com.username=me"
	if got := entriesText(others); got != want {
		t.Errorf("other sections = %q, want %q", got, want)
	}
	if _, others, _ := LoadWith(ctx, gitexec.Runner{Dir: repo}, nil); others != nil {
		t.Errorf("no other section asked for, got %v", others)
	}
}

// LoadWith reads single keys too, as `git config --get-all` would
// (every scope, git's order; the remote's name as written, however the
// section and variable are spelled), and no key of another remote: a
// name with regexp characters in it is matched literally.
func TestLoadWithKeys(t *testing.T) {
	gittest.Isolate(t)
	repo := t.TempDir()
	gittest.Git(t, repo, "init", "-q")
	gittest.Git(t, "", "config", "--global", "remote.a+b.lfsurl", "https://global/")
	gittest.Git(t, repo, "config", "remote.a+b.lfsurl", "https://local/")
	gittest.Git(t, repo, "config", "remote.aab.lfsurl", "https://other-remote/")
	gittest.Git(t, repo, "config", "remote.A+b.lfsurl", "https://other-case/")
	gittest.Git(t, repo, "config", "remote.a+b.url", "https://not-asked/")
	gittest.Git(t, repo, "config", "credential.https://h.example.helper", "federate")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, others, err := LoadWith(ctx, gitexec.Runner{Dir: repo}, nil, "REMOTE.a+b.LfsUrl", "credential")
	if err != nil {
		t.Fatal(err)
	}
	want := "remote.a+b.lfsurl=https://global/ remote.a+b.lfsurl=https://local/ credential.https://h.example.helper=federate"
	if got := entriesText(others); got != want {
		t.Errorf("keys read = %q, want %q", got, want)
	}
}

// entriesText is entries as "key=value" in order, space-separated.
func entriesText(entries []Entry) string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Key+"="+e.Value)
	}
	return strings.Join(out, " ")
}

func TestLoadReportsBrokenConfig(t *testing.T) {
	home := gittest.Isolate(t)
	if err := writeFile(filepath.Join(home, ".gitconfig"), "[federation \"x\"\n  origin = nope\n"); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), "", t.TempDir())
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Stderr == "" {
		t.Fatalf("Load = %v, want a ConfigError with git's message", err)
	}
}

// One misconfigured federation is set aside; the others work, and naming
// the broken one reports its error with the key to fix.
func TestInvalidFederationIsolated(t *testing.T) {
	cfg, err := Parse([]Entry{
		{Key: "federation.good.origin", Value: "https://example.com/good.git"},
		{Key: "federation.bad.origin", Value: "https://example.com/bad.git"},
		{Key: "federation.bad.fetchfrom", Value: "fastest"},
	})
	if err == nil || !strings.Contains(err.Error(), "federation.bad.fetchFrom") {
		t.Fatalf("Parse error = %v, want one naming federation.bad.fetchFrom", err)
	}
	if _, ok := cfg.Federations["bad"]; ok {
		t.Error("the broken federation is among the usable ones")
	}
	if f, err := cfg.Resolve("good", ""); err != nil || f.Origin.Raw != "https://example.com/good.git" {
		t.Errorf("Resolve(good) = %v, %v", f, err)
	}
	if _, err := cfg.Resolve("bad", ""); err == nil || !strings.Contains(err.Error(), "federation.bad.fetchFrom") {
		t.Errorf("Resolve(bad) = %v, want the config error", err)
	}
	if got := cfg.Names(); len(got) != 1 || got[0] != "good" {
		t.Errorf("Names() = %v, want [good]", got)
	}
}

// A [federate "<url>"] timeout is the limit of the servers it covers
// (longest prefix wins, as for http.<url>.*); the others keep the
// federation's, and each limit names the key that set it.
func TestServerTimeout(t *testing.T) {
	c, err := Parse(entries(
		"federation.app.origin", "https://github.com/o/app.git",
		"federation.app.mirror", "git@gitee.com:o/app.git",
		"federation.app.mirror", "https://gitlab.example.com/m/app.git",
		"federation.app.timeout", "30s",
		"federate.git@gitee.com:o.timeout", "5m",
		"federate.https://gitlab.example.com.timeout", "1m",
		"federate.https://gitlab.example.com/m/app.git.timeout", "7s",
	))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Federations["app"]
	for _, tc := range []struct {
		e    Endpoint
		want time.Duration
		key  string
	}{
		{f.Origin, 30 * time.Second, "federation.app.timeout"},
		{f.Mirrors[0], 5 * time.Minute, "federate.git@gitee.com:o.timeout"},
		{f.Mirrors[1], 7 * time.Second, "federate.https://gitlab.example.com/m/app.git.timeout"},
	} {
		if d, key := f.TimeoutOf(tc.e); d != tc.want || key != tc.key {
			t.Errorf("TimeoutOf(%s) = %v, %s; want %v, %s", tc.e.Raw, d, key, tc.want, tc.key)
		}
	}
	if _, err := Parse(entries("federate.https://x.example.timeout", "0s")); err == nil {
		t.Error("a server timeout of 0s was taken")
	}
}

func TestResolveOriginOfTwoFederations(t *testing.T) {
	c, err := Parse(entries(
		"federation.app.origin", "https://example.com/app.git",
		"federation.app.mirror", "https://gitee.com/a/app.git",
		"federation.second.origin", "https://EXAMPLE.com/app",
		"federation.second.mirror", "https://gitlab.example.com/a/app.git",
	))
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Resolve("https://example.com/app.git", "")
	if err == nil || !strings.Contains(err.Error(), `use "federate::app" or "federate::second"`) {
		t.Fatalf("Resolve = %+v, %v; want both federations named", f, err)
	}
	if f, err := c.Resolve("second", ""); err != nil || f.Name != "second" {
		t.Errorf("Resolve(second) = %+v, %v", f, err)
	}
}

func TestWithMirror(t *testing.T) {
	cfg, err := Parse(entries(
		"federation.a.origin", "https://o.example/a.git",
		"federation.a.mirror", "https://m.example/x.git",
		"federation.a.mirror", "https://n.example/x.git",
		"federation.b.origin", "https://o.example/b.git",
		"federation.b.mirror", "https://m.example/x.git",
		"federation.c.origin", "https://o.example/c.git",
		"federation.c.mirror", "https://n.example/y.git",
		"federationset.apache.origin", "https://github.com/apache",
		"federationset.apache.mirror", "https://gitee.com/apache-mirror/",
	))
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string]string{
		"https://m.example/x.git":                    "a b",
		"https://n.example/y.git":                    "c",
		"https://gitee.com/apache-mirror/linkis.git": "apache",
		"https://gitee.com/apache-mirror2/x.git":     "",
		"https://m.example/x":                        "", // as the queue keeps it: the configured text
	} {
		if got := strings.Join(cfg.WithMirror(raw), " "); got != want {
			t.Errorf("WithMirror(%q) = %q, want %q", raw, got, want)
		}
	}
}
