package forge

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// The answers below are shaped like each forge's documentation: GitHub's
// "Scopes for OAuth apps" (X-OAuth-Scopes on any API answer), GitLab's
// "Get single personal access token" (GET /personal_access_tokens/self),
// and Gitee's v5 repository object ("permission").

func TestScopesGitHubClassicListsThem(t *testing.T) {
	f := newFake(t)
	f.on("GET", "/user", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-OAuth-Scopes", "read:org, public_repo")
		w.Header().Set("X-Accepted-OAuth-Scopes", "")
		w.Write([]byte(`{"login":"octocat","id":1}`))
	})
	acc, err := Client{}.Scopes(context.Background(), GitHub, f.URL, "ghp_x", RepoRef{})
	if err != nil || !acc.Listed || strings.Join(acc.Scopes, ",") != "public_repo,read:org" {
		t.Fatalf("%+v %v", acc, err)
	}
	miss := acc.Lacks(GitHub, "https://github.com", []string{NeedRead, NeedWrite, NeedHooks})
	if len(miss) != 1 || miss[0].Need != NeedHooks || miss[0].Scope != "admin:repo_hook" ||
		miss[0].Settings != "https://github.com/settings/tokens" {
		t.Fatalf("missing %+v, want admin:repo_hook only", miss)
	}
}

func TestScopesGitHubFineGrainedProbesTheRepository(t *testing.T) {
	f := newFake(t)
	f.json("GET", "/user", 200, map[string]any{"login": "octocat"}) // no X-OAuth-Scopes
	f.json("GET", "/repos/octo/hello", 200, map[string]any{"name": "hello", "full_name": "octo/hello",
		"permissions": map[string]bool{"admin": false, "maintain": false, "push": true, "triage": true, "pull": true}})
	acc, err := Client{}.Scopes(context.Background(), GitHub, f.URL, "github_pat_x", RepoRef{"octo", "hello"})
	if err != nil || acc.Listed || !strings.Contains(acc.Note, "fine-grained") {
		t.Fatalf("%+v %v", acc, err)
	}
	miss := acc.Lacks(GitHub, "https://github.com", []string{NeedWrite, NeedHooks})
	if len(miss) != 1 || miss[0].Need != NeedHooks {
		t.Fatalf("missing %+v, want hooks (not an admin)", miss)
	}
}

func TestScopesGitLabPersonalAccessTokenSelf(t *testing.T) {
	f := newFake(t)
	f.json("GET", "/api/v4/personal_access_tokens/self", 200, map[string]any{
		"id": 4, "name": "Test Token", "revoked": false, "created_at": "2020-07-23T14:31:47.729Z",
		"scopes": []string{"read_repository", "read_api"}, "user_id": 3, "active": true, "expires_at": nil})
	acc, err := Client{}.Scopes(context.Background(), GitLab, f.URL+"/api/v4", "glpat-x", RepoRef{})
	if err != nil || !acc.Listed {
		t.Fatalf("%+v %v", acc, err)
	}
	miss := acc.Lacks(GitLab, "https://gitlab.example.com", []string{NeedRead, NeedWrite, NeedCreate})
	var got []string
	for _, m := range miss {
		got = append(got, m.Need+"="+m.Scope)
	}
	if strings.Join(got, " ") != "write=write_repository create=api" ||
		miss[0].Settings != "https://gitlab.example.com/-/user_settings/personal_access_tokens" {
		t.Fatalf("missing %+v", miss)
	}
	if r := f.requests()[0]; r.Header.Get("PRIVATE-TOKEN") != "glpat-x" {
		t.Fatalf("token not sent as GitLab takes it: %v", r.Header)
	}
}

func TestScopesGiteeSaysItCannotList(t *testing.T) {
	f := newFake(t)
	f.json("GET", "/repos/o/r", 200, map[string]any{"full_name": "o/r", "path": "r",
		"permission": map[string]bool{"pull": true, "push": false, "admin": false}})
	acc, err := Client{}.Scopes(context.Background(), Gitee, f.URL, "t", RepoRef{"o", "r"})
	if err != nil || acc.Listed || !strings.Contains(acc.Note, "Gitee does not report") {
		t.Fatalf("%+v %v", acc, err)
	}
	miss := acc.Lacks(Gitee, "https://gitee.com", []string{NeedRead, NeedWrite})
	if len(miss) != 1 || miss[0].Scope != "projects" || miss[0].Settings != "https://gitee.com/profile/personal_access_tokens" {
		t.Fatalf("missing %+v", miss)
	}
}
