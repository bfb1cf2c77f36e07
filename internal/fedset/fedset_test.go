package fedset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// The mirror checks run git with this program as its credential helper,
// as the sync engine does: the binaries must be built.
func TestMain(m *testing.M) { os.Exit(gittest.Main(m)) }

func parse(t *testing.T, kv ...string) *federation.Config {
	t.Helper()
	var entries []federation.Entry
	for i := 0; i < len(kv); i += 2 {
		entries = append(entries, federation.Entry{Key: kv[i], Value: kv[i+1]})
	}
	cfg, err := federation.Parse(entries)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestMemberAndSelects(t *testing.T) {
	cfg := parse(t,
		"federationset.apache.origin", "https://github.com/apache/",
		"federationset.apache.mirror", "https://gitee.com/apache-mirror",
		"federationset.apache.mirror", "git@gitlab.example.com:mirrors/apache",
		"federationset.apache.include", "linkis*",
		"federationset.apache.include", "kafka",
		"federationset.apache.exclude", "*-website",
		"federationset.apache.prune", "true",
		"federationset.apache.createMissing", "true")
	s := cfg.Sets["apache"]
	for name, want := range map[string]bool{"linkis": true, "linkis-web": true, "linkis-website": false, "kafka": true, "kafka-ui": false} {
		if got := Selects(s, name); got != want {
			t.Errorf("Selects(%q) = %v", name, got)
		}
	}
	m, err := Member(s, "linkis")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "apache/linkis" || m.Origin.Raw != "https://github.com/apache/linkis.git" || len(m.Mirrors) != 2 ||
		m.Mirrors[0].Raw != "https://gitee.com/apache-mirror/linkis.git" || m.Mirrors[1].Raw != "git@gitlab.example.com:mirrors/apache/linkis.git" {
		t.Fatalf("member %+v", m)
	}
	if !m.Prune || !m.CreateMissing || !m.PushOrigin || len(m.Include) != 0 {
		t.Fatalf("options not copied from the set (or repository globs taken as ref globs): %+v", m.Options)
	}
}

func TestExpandReportsSetsItCannotList(t *testing.T) {
	gittest.Isolate(t)
	cfg := parse(t,
		"federationset.plain.origin", "https://git.example.org/team",
		"federationset.plain.mirror", "https://gitee.com/team")
	got, errs := Expand(context.Background(), cfg, Deps{})
	if len(got) != 0 || len(errs) != 1 || !errors.Is(errs[0], forge.ErrUnsupported) ||
		!strings.Contains(errs[0].Error(), `federationset "plain"`) || !strings.Contains(errs[0].Error(), `[federate "https://git.example.org"] forge =`) {
		t.Fatalf("%v %v", got, errs)
	}
}

func TestEnsureMirrorDoesNothingUnlessAsked(t *testing.T) {
	gittest.Isolate(t)
	missing := filepath.Join(t.TempDir(), "missing.git")
	ep, _ := federation.ParseEndpoint(missing)
	fed := &federation.Federation{Name: "x", Options: federation.DefaultOptions()}
	// createMissing off: not even a ls-remote.
	if created, err := EnsureMirror(context.Background(), fed, ep, Deps{Git: gitexec.Runner{Git: "/nonexistent/git"}}); created || err != nil {
		t.Fatalf("createMissing off: %v %v", created, err)
	}
	// A mirror whose forge has no API (a local path, a plain host) is left to the push.
	fed.CreateMissing = true
	for _, raw := range []string{missing, "https://git.example.org/team/x.git"} {
		ep, _ := federation.ParseEndpoint(raw)
		if created, err := EnsureMirror(context.Background(), fed, ep, Deps{Git: gitexec.Runner{Git: "/nonexistent/git"}}); created || err != nil {
			t.Fatalf("%s: %v %v", raw, created, err)
		}
	}
}

// TestGitea runs the real-forge cases against one Gitea.
func TestGitea(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.StartGitea(t)
	ctx := context.Background()
	host := strings.TrimPrefix(g.URL, "http://")
	t.Setenv(keystore.EnvName(host), g.Token)
	g.API(t, "POST", "/api/v1/orgs", map[string]any{"username": "mirrors", "visibility": "public"}, nil)
	for _, name := range []string{"linkis", "linkis-web", "linkis-website", "kafka", "kafka-ui", "zookeeper"} {
		g.CreateRepo(t, name)
	}
	exe := filepath.Join(gittest.BinDir(t), "git-remote-federate")
	deps := Deps{PerPage: 2, Git: gitexec.Runner{Env: gitexec.WithCredentialCallback(os.Environ(), exe)}}

	t.Run("ExpandIncludeExclude", func(t *testing.T) {
		cfg := parse(t,
			"federate."+g.URL+".forge", "gitea",
			"federationset.apache.origin", g.URL+"/"+g.User,
			"federationset.apache.mirror", g.URL+"/mirrors",
			"federationset.apache.include", "linkis*",
			"federationset.apache.include", "kafka",
			"federationset.apache.exclude", "*-website",
			"federationset.apache.createMissing", "true",
			// An explicit [federation] of a member's name wins.
			"federation.apache/kafka.origin", "https://example.com/kafka.git")
		d := deps
		d.Config = cfg
		got, errs := Expand(ctx, cfg, d)
		if len(errs) != 0 {
			t.Fatal(errs)
		}
		var lines []string
		for _, f := range got {
			lines = append(lines, f.Name+" "+f.Origin.Raw+" "+f.Mirrors[0].Raw)
			if !f.CreateMissing {
				t.Errorf("%s: createMissing not copied", f.Name)
			}
		}
		want := []string{
			"apache/linkis " + g.URL + "/" + g.User + "/linkis.git " + g.URL + "/mirrors/linkis.git",
			"apache/linkis-web " + g.URL + "/" + g.User + "/linkis-web.git " + g.URL + "/mirrors/linkis-web.git",
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Fatalf("members\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("ExpandBadTokenNeverShowsIt", func(t *testing.T) {
		const bad = "feedfacefeedfacefeedfacefeedfacefeedface"
		cfg := parse(t, "federate."+g.URL+".forge", "gitea", "federationset.s.origin", g.URL+"/"+g.User)
		d := deps
		d.Tokens = keystore.Fixed{HostURL: g.URL, Credential: keystore.Credential{Token: bad}}
		got, errs := Expand(ctx, cfg, d)
		if len(got) != 0 || len(errs) != 1 || !errors.Is(errs[0], forge.ErrUnauthorized) || strings.Contains(errs[0].Error(), bad) {
			t.Fatalf("%v %v", got, errs)
		}
	})

	t.Run("EnsureMirrorCreatesThenPushWorks", func(t *testing.T) {
		cfg := parse(t, "federate."+g.URL+".forge", "gitea")
		d := deps
		d.Config = cfg
		var warnings []string
		d.Warnf = func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }
		const desc, site = "Centralized coordination service", "https://zookeeper.example.org"
		g.API(t, "PATCH", "/api/v1/repos/"+g.User+"/zookeeper", map[string]any{"description": desc, "website": site}, nil)
		work := gittest.NewWorkRepo(t)
		if _, err := gittest.GitErr(work, g.GitEnv(), "push", "-q", g.URL+"/"+g.User+"/zookeeper.git", "main"); err != nil {
			t.Fatal(err)
		}
		member, err := Member(&federation.Set{Name: "apache", Origin: g.URL + "/" + g.User, Mirrors: []string{g.URL + "/mirrors"},
			Options: federation.Options{CreateMissing: true}}, "zookeeper")
		if err != nil {
			t.Fatal(err)
		}
		mirror := member.Mirrors[0]
		created, err := EnsureMirror(ctx, member, mirror, d)
		if err != nil || !created {
			t.Fatalf("first: created=%v %v", created, err)
		}
		created, err = EnsureMirror(ctx, member, mirror, d)
		if err != nil || created {
			t.Fatalf("second: created=%v %v", created, err)
		}
		var repo struct {
			Private     bool   `json:"private"`
			Description string `json:"description"`
			Website     string `json:"website"`
		}
		g.API(t, "GET", "/api/v1/repos/mirrors/zookeeper", nil, &repo)
		if repo.Private || repo.Description != desc || repo.Website != site {
			t.Fatalf("mirror of a public origin: %+v, want the origin's description and web site", repo)
		}
		if len(warnings) != 0 {
			t.Fatalf("warnings about settings the forge kept: %q", warnings)
		}
		r := gitexec.Runner{Dir: work, Env: d.Git.Env}
		if err := r.Run(ctx, "push", "-q", "--", mirror.Raw, "main"); err != nil {
			t.Fatalf("push to the new mirror: %v", err)
		}
		if out, err := r.Output(ctx, "ls-remote", "--", mirror.Raw, "refs/heads/main"); err != nil || !strings.Contains(string(out), gittest.Git(t, work, "rev-parse", "HEAD")) {
			t.Fatalf("mirror after push: %q %v", out, err)
		}
	})

	t.Run("MirrorOfPrivateOriginIsPrivate", func(t *testing.T) {
		g.API(t, "POST", "/api/v1/user/repos", map[string]any{"name": "secret", "private": true}, nil)
		d := deps
		d.Config = parse(t, "federate."+g.URL+".forge", "gitea")
		member, err := Member(&federation.Set{Name: "s", Origin: g.URL + "/" + g.User, Mirrors: []string{g.URL + "/mirrors"},
			Options: federation.Options{CreateMissing: true}}, "secret")
		if err != nil {
			t.Fatal(err)
		}
		if created, err := EnsureMirror(ctx, member, member.Mirrors[0], d); err != nil || !created {
			t.Fatalf("created=%v %v", created, err)
		}
		var repo struct {
			Private bool `json:"private"`
		}
		g.API(t, "GET", "/api/v1/repos/mirrors/secret", nil, &repo)
		if !repo.Private {
			t.Fatal("the mirror of a private origin was made public")
		}
	})

	t.Run("EnsureMirrorWithoutTokenExplains", func(t *testing.T) {
		cfg := parse(t, "federate."+g.URL+".forge", "gitea")
		t.Setenv(keystore.EnvName(host), "")
		d := Deps{Config: cfg, Git: gitexec.Runner{Env: gitexec.WithCredentialCallback(os.Environ(), exe)}}
		ep, _ := federation.ParseEndpoint(g.URL + "/mirrors/never.git")
		fed := &federation.Federation{Name: "n", Options: federation.Options{CreateMissing: true}}
		created, err := EnsureMirror(ctx, fed, ep, d)
		// The hint says how to give one: login, or with the keyring
		// off, the variable.
		if created || err == nil || !strings.Contains(err.Error(), "no token for "+g.URL+": ") {
			t.Fatalf("created=%v %v", created, err)
		}
	})
}

func TestNotKeptNamesWhatTheForgeDropped(t *testing.T) {
	opts := forge.CreateOptions{Private: true, Description: "d", Homepage: "https://h.example"}
	got := notKept(opts, forge.Repo{Private: true, Description: "d"}) // GitLab: no homepage
	if got.String() != "homepage" {
		t.Fatalf("%q, want homepage", got)
	}
	got = notKept(opts, forge.Repo{Description: "", Homepage: "https://h.example"})
	if got.String() != "description and visibility" {
		t.Fatalf("%q", got)
	}
	// The warning that names them speaks the user's language.
	warn := i18n.M("created mirror %s, but %s did not keep the origin's %s", "https://gitee.com/o/r.git", "https://gitee.com", got)
	if zh := warn.Localize(i18n.New(i18n.SimplifiedChinese)); !strings.Contains(zh, "描述和可见性") || strings.Contains(zh, "visibility") {
		t.Errorf("zh-Hans warning: %q", zh)
	}
	if en := warn.Localize(i18n.New(language.English)); !strings.HasSuffix(en, "did not keep the origin's description and visibility") {
		t.Errorf("English warning: %q", en)
	}
}
