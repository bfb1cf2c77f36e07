package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// countingTransport counts the API requests a client sends.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func names(repos []Repo) []string {
	var out []string
	for _, r := range repos {
		out = append(out, r.Name)
	}
	sort.Strings(out)
	return out
}

// TestGitea runs every real-forge case against one Gitea, which takes
// about ten seconds to start.
func TestGitea(t *testing.T) {
	g := gittest.StartGitea(t)
	base := g.URL + "/api/v1"
	ctx := context.Background()
	g.API(t, "POST", "/api/v1/orgs", map[string]any{"username": "mirrors", "visibility": "public"}, nil)
	var userRepos, orgRepos []string
	for i := range 7 {
		name := fmt.Sprintf("u%d", i)
		g.CreateRepo(t, name)
		userRepos = append(userRepos, name)
		name = fmt.Sprintf("o%d", i)
		g.API(t, "POST", "/api/v1/orgs/mirrors/repos", map[string]any{"name": name}, nil)
		orgRepos = append(orgRepos, name)
	}

	t.Run("ListReposUserPaginated", func(t *testing.T) {
		ct := &countingTransport{}
		c := Client{HTTP: &http.Client{Transport: ct}, PerPage: 3}
		got, err := c.ListRepos(ctx, Gitea, base, g.User, g.Token)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(names(got), ",") != strings.Join(userRepos, ",") {
			t.Fatalf("user repos %v, want %v", names(got), userRepos)
		}
		// orgs/<user> 404, then 3 pages of 3, 3, 1.
		if n := ct.n.Load(); n != 4 {
			t.Fatalf("%d requests, want 4 (3 pages)", n)
		}
		if got[0].CloneURL == "" || !strings.HasPrefix(got[0].CloneURL, g.URL) {
			t.Fatalf("clone URL %q", got[0].CloneURL)
		}
	})

	t.Run("ListReposOrgPaginated", func(t *testing.T) {
		ct := &countingTransport{}
		c := Client{HTTP: &http.Client{Transport: ct}, PerPage: 2}
		got, err := c.ListRepos(ctx, Gitea, base, "mirrors", g.Token)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(names(got), ",") != strings.Join(orgRepos, ",") {
			t.Fatalf("org repos %v, want %v", names(got), orgRepos)
		}
		if n := ct.n.Load(); n != 4 {
			t.Fatalf("%d requests, want 4 pages", n)
		}
	})

	t.Run("ListReposAnonymous", func(t *testing.T) {
		got, err := Client{}.ListRepos(ctx, Gitea, base, "mirrors", "")
		if err != nil || len(got) != len(orgRepos) {
			t.Fatalf("%v %v", names(got), err)
		}
	})

	t.Run("CreateRepoInOrgAndForUser", func(t *testing.T) {
		r, err := Client{}.CreateRepo(ctx, Gitea, base, "mirrors", "made-in-org", g.Token, CreateOptions{Private: true, Description: "Mirror of x"})
		if err != nil || r.FullName != "mirrors/made-in-org" || !r.Private {
			t.Fatalf("org: %+v %v", r, err)
		}
		r, err = Client{}.CreateRepo(ctx, Gitea, base, g.User, "made-for-user", g.Token, CreateOptions{})
		if err != nil || r.FullName != g.User+"/made-for-user" || r.Private {
			t.Fatalf("user: %+v %v", r, err)
		}
		got, err := Client{}.GetRepo(ctx, Gitea, base, "mirrors", "made-in-org", g.Token)
		if err != nil || !got.Private || got.Name != "made-in-org" {
			t.Fatalf("get: %+v %v", got, err)
		}
		_, err = Client{}.CreateRepo(ctx, Gitea, base, "mirrors", "made-in-org", g.Token, CreateOptions{})
		if !errors.Is(err, ErrExists) {
			t.Fatalf("second create: %v", err)
		}
		_, err = Client{}.CreateRepo(ctx, Gitea, base, "no-such-org", "x", g.Token, CreateOptions{})
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("create in a missing org: %v", err)
		}
	})

	t.Run("ScopesOfLimitedAndFullTokens", func(t *testing.T) {
		limited := g.Scoped(t, "read-only", "read:repository")
		acc, err := Client{}.Scopes(ctx, Gitea, base, limited, RepoRef{g.User, "u0"})
		if err != nil || !acc.Listed || strings.Join(acc.Scopes, ",") != "read:repository" {
			t.Fatalf("limited: %+v %v", acc, err)
		}
		miss := acc.Lacks(Gitea, g.URL, []string{NeedRead, NeedWrite, NeedHooks})
		if len(miss) != 2 || miss[0].Scope != "write:repository" || miss[0].Settings != g.URL+"/user/settings/applications" {
			t.Fatalf("limited lacks %+v", miss)
		}
		acc, err = Client{}.Scopes(ctx, Gitea, base, g.Token, RepoRef{g.User, "u0"})
		if err != nil || len(acc.Lacks(Gitea, g.URL, []string{NeedRead, NeedWrite, NeedCreate, NeedHooks})) != 0 {
			t.Fatalf("full: %+v %v", acc, err)
		}
		hooks, err := Client{}.ListHooks(ctx, Gitea, base, g.Token, HookTarget{g.User, "u0"})
		if err != nil || len(hooks) != 0 {
			t.Fatalf("the scope probe left a hook behind: %+v %v", hooks, err)
		}
	})

	t.Run("HooksOnRepositoryAndOrganisation", func(t *testing.T) {
		const url = "http://127.0.0.1:9/webhook"
		for _, target := range []HookTarget{{g.User, "u1"}, {Owner: "mirrors"}} {
			h, created, err := Client{}.SaveHook(ctx, Gitea, base, g.Token, target, url, "s1")
			if err != nil || !created || h.URL != url || !h.Active {
				t.Fatalf("%s: create %+v %v %v", target, h, created, err)
			}
			h2, created, err := Client{}.SaveHook(ctx, Gitea, base, g.Token, target, url, "s2")
			if err != nil || created || h2.ID != h.ID {
				t.Fatalf("%s: second save %+v %v %v", target, h2, created, err)
			}
			hooks, err := Client{}.ListHooks(ctx, Gitea, base, g.Token, target)
			if err != nil || len(hooks) != 1 || hooks[0].URL != url {
				t.Fatalf("%s: list %+v %v", target, hooks, err)
			}
			if err := (Client{}).DeleteHook(ctx, Gitea, base, g.Token, target, h.ID); err != nil {
				t.Fatal(err)
			}
			if hooks, _ := (Client{}).ListHooks(ctx, Gitea, base, g.Token, target); len(hooks) != 0 {
				t.Fatalf("%s: after delete %+v", target, hooks)
			}
		}
	})

	t.Run("HookWithoutScopeIsRefused", func(t *testing.T) {
		limited := g.Scoped(t, "read-only-hooks", "read:repository")
		_, _, err := Client{}.SaveHook(ctx, Gitea, base, limited, HookTarget{g.User, "u2"}, "http://127.0.0.1:9/webhook", "s")
		if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "write:repository") || strings.Contains(err.Error(), limited) {
			t.Fatalf("%v", err)
		}
	})

	t.Run("BadTokenIsUnauthorized", func(t *testing.T) {
		const bad = "0123456789abcdef0123456789abcdef01234567"
		for _, call := range []func() error{
			func() error { _, err := Client{}.CurrentUser(ctx, Gitea, base, bad); return err },
			func() error { _, err := Client{}.ListRepos(ctx, Gitea, base, g.User, bad); return err },
			func() error {
				_, err := Client{}.CreateRepo(ctx, Gitea, base, "mirrors", "nope", bad, CreateOptions{})
				return err
			},
		} {
			err := call()
			if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), bad) {
				t.Errorf("bad token: %v", err)
			}
		}
	})
}
