package forge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// fake is a forge API on 127.0.0.1 that answers from a table of routes
// and records every request, so tests check the paths, queries, headers
// and bodies each forge gets.
type fake struct {
	*httptest.Server
	mu     sync.Mutex
	routes map[string]func(w http.ResponseWriter, r *http.Request)
	seen   []seenReq
}

type seenReq struct {
	Method, Path, Query string
	Header              http.Header
	Body                map[string]any
}

func (s seenReq) String() string { return s.Method + " " + s.Path + "?" + s.Query }

func newFake(t *testing.T) *fake {
	f := &fake{routes: map[string]func(http.ResponseWriter, *http.Request){}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			json.Unmarshal(b, &body)
		}
		key := r.Method + " " + r.URL.EscapedPath()
		f.mu.Lock()
		f.seen = append(f.seen, seenReq{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), body})
		h := f.routes[key]
		f.mu.Unlock()
		if h == nil {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"Not Found"}`))
			return
		}
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) on(method, path string, h func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[method+" "+path] = h
}

func (f *fake) json(method, path string, status int, v any) {
	f.on(method, path, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	})
}

func (f *fake) requests() []seenReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenReq(nil), f.seen...)
}

func (f *fake) paths() []string {
	var out []string
	for _, r := range f.requests() {
		out = append(out, r.String())
	}
	return out
}

func repos(owner string, from, n int) []map[string]any {
	var out []map[string]any
	for i := from; i < from+n; i++ {
		name := fmt.Sprintf("r%02d", i)
		out = append(out, map[string]any{"name": name, "full_name": owner + "/" + name})
	}
	return out
}

// authOf is the token a request carried and how, per forge convention.
func authOf(h http.Header) string {
	if v := h.Get("PRIVATE-TOKEN"); v != "" {
		return "PRIVATE-TOKEN " + v
	}
	return h.Get("Authorization")
}

func TestAuthHeaderForms(t *testing.T) {
	want := map[string]string{
		GitHub: "Bearer s3cret",
		GitLab: "PRIVATE-TOKEN s3cret",
		Gitee:  "Bearer s3cret",
		Gitea:  "token s3cret",
	}
	for forge, w := range want {
		f := newFake(t)
		f.json("GET", "/api/user", 200, map[string]string{"login": "octo", "username": "octo"})
		u, err := Client{}.CurrentUser(context.Background(), forge, f.URL+"/api", "s3cret")
		if err != nil || u.Login != "octo" {
			t.Fatalf("%s: %+v %v", forge, u, err)
		}
		r := f.requests()[0]
		if got := authOf(r.Header); got != w {
			t.Errorf("%s: auth %q, want %q", forge, got, w)
		}
		if strings.Contains(r.Query, "s3cret") {
			t.Errorf("%s: token in the query %q", forge, r.Query)
		}
		if r.Header.Get("User-Agent") == "" {
			t.Errorf("%s: no User-Agent (GitHub refuses requests without one)", forge)
		}
	}
}

func TestUnauthorizedNeverShowsToken(t *testing.T) {
	f := newFake(t)
	// A forge that echoes what it got must not get the token into our text.
	f.on("GET", "/api/user", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"message":"bad token %s"}`, authOf(r.Header))
	})
	for _, forge := range []string{GitHub, GitLab, Gitee, Gitea} {
		_, err := Client{}.CurrentUser(context.Background(), forge, f.URL+"/api", "tok-secret-1")
		if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "tok-secret-1") {
			t.Errorf("%s: %v", forge, err)
		}
		_, err = Client{}.ListRepos(context.Background(), forge, f.URL+"/api", "someone", "tok-secret-1")
		if err == nil || strings.Contains(err.Error(), "tok-secret-1") {
			t.Errorf("%s list: %v", forge, err)
		}
	}
	f.Close()
	_, err := Client{}.CurrentUser(context.Background(), Gitee, f.URL+"/api", "tok-secret-2")
	if err == nil || strings.Contains(err.Error(), "tok-secret-2") {
		t.Fatalf("unreachable: %v", err)
	}
}

// A Link header with rel="last" says how many pages there are: the
// others are asked for by number, at once. Without rel="last" (GitLab
// past 10,000 items) the rel="next" URLs are followed one after another.
func TestListReposOrgWithLinkPagination(t *testing.T) {
	for _, withLast := range []bool{true, false} {
		f := newFake(t)
		f.on("GET", "/api/orgs/apache/repos", func(w http.ResponseWriter, r *http.Request) {
			page := r.URL.Query().Get("page")
			if page == "" {
				page = "1"
			}
			var n int
			fmt.Sscan(page, &n)
			last := ""
			if withLast {
				last = fmt.Sprintf(`, <%s/api/orgs/apache/repos?per_page=2&page=3>; rel="last"`, f.URL)
			}
			if n < 3 {
				w.Header().Set("Link", fmt.Sprintf(`<%s/api/orgs/apache/repos?per_page=2&page=%d>; rel="next"`, f.URL, n+1)+last)
			} else {
				w.Header().Set("Link", fmt.Sprintf(`<%s/api/orgs/apache/repos?per_page=2&page=1>; rel="first"`, f.URL))
			}
			json.NewEncoder(w).Encode(repos("apache", (n-1)*2, 2))
		})
		got, err := Client{PerPage: 2}.ListRepos(context.Background(), GitHub, f.URL+"/api", "apache", "tok")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 6 || got[5].Name != "r05" || got[0].FullName != "apache/r00" {
			t.Fatalf("repos %+v", got)
		}
		want := []string{"GET /api/orgs/apache/repos?page=1&per_page=2", "GET /api/orgs/apache/repos?per_page=2&page=2", "GET /api/orgs/apache/repos?per_page=2&page=3"}
		p := f.paths()
		if withLast {
			want[1], want[2] = "GET /api/orgs/apache/repos?page=2&per_page=2", "GET /api/orgs/apache/repos?page=3&per_page=2"
			sort.Strings(p) // asked for at once: in any order
		}
		if strings.Join(p, "\n") != strings.Join(want, "\n") {
			t.Fatalf("rel=last %v: requests\n%s\nwant\n%s", withLast, strings.Join(p, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestListReposUserFallbacks(t *testing.T) {
	for _, c := range []struct {
		forge, login string
		want         []string
	}{
		// Someone else: the public user listing.
		{GitHub, "octo", []string{"GET /api/orgs/alice/repos", "GET /api/user", "GET /api/users/alice/repos"}},
		// The token's own account: private repositories too.
		{GitHub, "Alice", []string{"GET /api/orgs/alice/repos", "GET /api/user", "GET /api/user/repos"}},
		{Gitee, "alice", []string{"GET /api/orgs/alice/repos", "GET /api/user", "GET /api/user/repos"}},
		// Gitea and GitLab show the owner its private repositories there anyway.
		{Gitea, "alice", []string{"GET /api/orgs/alice/repos", "GET /api/users/alice/repos"}},
		{GitLab, "alice", []string{"GET /api/groups/alice/projects", "GET /api/users/alice/projects"}},
	} {
		f := newFake(t)
		f.json("GET", "/api/user", 200, map[string]string{"login": c.login, "username": c.login})
		list := append(repos("alice", 0, 2), map[string]any{"name": "forked", "full_name": "bob/forked"})
		for _, p := range []string{"/api/users/alice/repos", "/api/user/repos", "/api/users/alice/projects"} {
			f.json("GET", p, 200, list)
		}
		got, err := Client{}.ListRepos(context.Background(), c.forge, f.URL+"/api", "alice", "tok")
		if err != nil {
			t.Fatalf("%s: %v", c.forge, err)
		}
		var paths []string
		for _, r := range f.requests() {
			paths = append(paths, r.Method+" "+r.Path)
			if r.Path == "/api/user/repos" && !strings.Contains(r.Query, "affiliation=owner") {
				t.Errorf("%s: /user/repos without affiliation=owner: %s", c.forge, r.Query)
			}
		}
		if strings.Join(paths, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s as %s: %v, want %v", c.forge, c.login, paths, c.want)
		}
		if own := strings.HasSuffix(c.want[len(c.want)-1], "/user/repos"); own && len(got) != 2 || !own && len(got) != 3 {
			t.Errorf("%s: %d repos %+v", c.forge, len(got), got)
		}
	}
}

func TestListReposGitLabGroupAndGiteePages(t *testing.T) {
	f := newFake(t)
	// GitLab: a nested group, URL-encoded as one path segment; only its own projects.
	f.json("GET", "/api/groups/grp%2Fsub/projects", 200, []map[string]any{
		{"name": "Pretty Name", "path": "proj", "path_with_namespace": "grp/sub/proj", "visibility": "public", "http_url_to_repo": "https://gl/grp/sub/proj.git"},
		{"name": "secret", "path": "secret", "path_with_namespace": "grp/sub/secret", "visibility": "internal"},
	})
	got, err := Client{}.ListRepos(context.Background(), GitLab, f.URL+"/api", "grp/sub", "tok")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (Repo{Name: "proj", FullName: "grp/sub/proj", CloneURL: "https://gl/grp/sub/proj.git"}) || !got[1].Private {
		t.Fatalf("gitlab %+v", got)
	}
	if q := f.requests()[0].Query; !strings.Contains(q, "include_subgroups=false") || !strings.Contains(q, "per_page=100") {
		t.Fatalf("gitlab query %q", q)
	}

	// Gitee sends no Link header: pages are read while they come back full.
	g := newFake(t)
	g.on("GET", "/api/orgs/mirrors/repos", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.URL.Query().Get("page"), &n)
		size := 3
		if n == 3 {
			size = 1
		}
		list := repos("mirrors", (n-1)*3, size)
		list[0]["path"], list[0]["name"] = list[0]["name"], "显示名"
		json.NewEncoder(w).Encode(list)
	})
	got, err = Client{PerPage: 3}.ListRepos(context.Background(), Gitee, g.URL+"/api", "mirrors", "tok")
	if err != nil || len(got) != 7 || got[3].Name != "r03" {
		t.Fatalf("gitee %+v %v", got, err)
	}
	if n := len(g.requests()); n != 3 {
		t.Fatalf("gitee: %d requests, want 3: %v", n, g.paths())
	}
}

func TestListReposBounded(t *testing.T) {
	f := newFake(t)
	f.on("GET", "/api/orgs/big/repos", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(repos("big", 0, 2)) // always full, never ends
	})
	_, err := Client{PerPage: 2, MaxPages: 4}.ListRepos(context.Background(), Gitee, f.URL+"/api", "big", "")
	if !errors.Is(err, ErrTooManyPages) || len(f.requests()) != 4 {
		t.Fatalf("%v after %d requests", err, len(f.requests()))
	}
}

func TestListReposIgnoresForeignLink(t *testing.T) {
	other := newFake(t)
	f := newFake(t)
	f.on("GET", "/api/orgs/o/repos", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", fmt.Sprintf(`<%s/steal?page=2>; rel="next"`, other.URL))
		json.NewEncoder(w).Encode(repos("o", 0, 1))
	})
	got, err := Client{PerPage: 2}.ListRepos(context.Background(), GitHub, f.URL+"/api", "o", "tok")
	if err != nil || len(got) != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	if n := len(other.requests()); n != 0 {
		t.Fatalf("followed a Link to another server %d times", n)
	}
}

func TestListReposRefusesPathTricks(t *testing.T) {
	f := newFake(t)
	for _, owner := range []string{"", "..", "a/../b", "a?b", "a%2Fb"} {
		if _, err := (Client{}).ListRepos(context.Background(), GitHub, f.URL, owner, ""); err == nil {
			t.Errorf("owner %q accepted", owner)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestCreateRepoEndpoints(t *testing.T) {
	for _, c := range []struct {
		forge, login, owner string
		want                []string
	}{
		{GitHub, "octo", "apache-mirror", []string{"GET /api/user", "POST /api/orgs/apache-mirror/repos"}},
		{GitHub, "octo", "octo", []string{"GET /api/user", "POST /api/user/repos"}},
		{Gitee, "octo", "apache-mirror", []string{"GET /api/user", "POST /api/orgs/apache-mirror/repos"}},
		{Gitee, "octo", "Octo", []string{"GET /api/user", "POST /api/user/repos"}},
		{Gitea, "octo", "apache-mirror", []string{"GET /api/user", "POST /api/orgs/apache-mirror/repos"}},
		{Gitea, "octo", "octo", []string{"GET /api/user", "POST /api/user/repos"}},
		{GitLab, "octo", "grp/sub", []string{"GET /api/namespaces/grp%2Fsub", "POST /api/projects"}},
	} {
		f := newFake(t)
		f.json("GET", "/api/user", 200, map[string]string{"login": c.login, "username": c.login})
		f.json("GET", "/api/namespaces/grp%2Fsub", 200, map[string]any{"id": 42, "full_path": "grp/sub"})
		created := map[string]any{"name": "linkis", "full_name": c.owner + "/linkis", "clone_url": "https://x/linkis.git",
			"path_with_namespace": "", "private": true}
		for _, p := range []string{"/api/orgs/apache-mirror/repos", "/api/user/repos", "/api/projects"} {
			f.json("POST", p, 201, created)
		}
		r, err := Client{}.CreateRepo(context.Background(), c.forge, f.URL+"/api", c.owner, "linkis", "tok",
			CreateOptions{Private: true, Description: "Mirror"})
		if err != nil || r.Name != "linkis" || !r.Private {
			t.Fatalf("%s %s: %+v %v", c.forge, c.owner, r, err)
		}
		reqs := f.requests()
		var paths []string
		for _, q := range reqs {
			paths = append(paths, q.Method+" "+q.Path)
		}
		if strings.Join(paths, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s %s: %v, want %v", c.forge, c.owner, paths, c.want)
			continue
		}
		body := reqs[len(reqs)-1].Body
		if c.forge == GitLab {
			if body["namespace_id"] != float64(42) || body["path"] != "linkis" || body["visibility"] != "private" {
				t.Errorf("gitlab body %v", body)
			}
		} else if body["name"] != "linkis" || body["private"] != true || body["description"] != "Mirror" || body["auto_init"] != false {
			t.Errorf("%s body %v", c.forge, body)
		}
	}
}

func TestCreateRepoExistsAndForbidden(t *testing.T) {
	for _, c := range []struct {
		forge  string
		status int
		body   string
		want   error
	}{
		{GitHub, 422, `{"message":"Repository creation failed.","errors":[{"resource":"Repository","code":"custom","field":"name","message":"name already exists on this account"}]}`, ErrExists},
		{Gitea, 409, `{"message":"The repository with the same name already exists."}`, ErrExists},
		{Gitee, 422, `{"message":"仓库已存在"}`, ErrExists},
		{Gitee, 422, `{"message":"名称不合法"}`, nil},
		{GitLab, 400, `{"message":{"name":["has already been taken"],"path":["has already been taken"]}}`, ErrExists},
		{GitHub, 403, `{"message":"Resource not accessible by personal access token"}`, ErrForbidden},
	} {
		f := newFake(t)
		f.json("GET", "/api/user", 200, map[string]string{"login": "me"})
		f.json("GET", "/api/namespaces/org", 200, map[string]any{"id": 1})
		for _, p := range []string{"/api/orgs/org/repos", "/api/projects"} {
			f.on("POST", p, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				w.Write([]byte(c.body))
			})
		}
		_, err := Client{}.CreateRepo(context.Background(), c.forge, f.URL+"/api", "org", "x", "tok-zz", CreateOptions{})
		if err == nil || c.want != nil && !errors.Is(err, c.want) || c.want == nil && errors.Is(err, ErrExists) || strings.Contains(err.Error(), "tok-zz") {
			t.Errorf("%s %d: %v, want %v", c.forge, c.status, err, c.want)
		}
	}
}

func TestAPIMessageIsShortAndWhole(t *testing.T) {
	long := `{"message":"` + strings.Repeat("仓", 100) + `"}`
	m := apiMessage([]byte(long), "")
	if !utf8.ValidString(m) || len(m) > 210 {
		t.Fatalf("%d bytes, valid %v", len(m), utf8.ValidString(m))
	}
	if m := apiMessage([]byte(`{"error":"bad tok-abc","message":null}`), "tok-abc"); m != "bad ***" {
		t.Fatalf("%q", m)
	}
}

func TestGetRepoPaths(t *testing.T) {
	f := newFake(t)
	f.json("GET", "/api/repos/apache/linkis", 200, map[string]any{"name": "linkis", "private": false})
	f.json("GET", "/api/projects/grp%2Fsub%2Flinkis", 200, map[string]any{"path": "linkis", "path_with_namespace": "grp/sub/linkis", "visibility": "private"})
	if r, err := (Client{}).GetRepo(context.Background(), GitHub, f.URL+"/api", "apache", "linkis", ""); err != nil || r.Private {
		t.Fatalf("github %+v %v", r, err)
	}
	if r, err := (Client{}).GetRepo(context.Background(), GitLab, f.URL+"/api", "grp/sub", "linkis", "t"); err != nil || !r.Private {
		t.Fatalf("gitlab %+v %v", r, err)
	}
	if _, err := (Client{}).GetRepo(context.Background(), Gitea, f.URL+"/api", "apache", "gone", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

func TestAPIBase(t *testing.T) {
	for _, c := range []struct{ forge, host, override, want string }{
		{"github", "https://github.com", "", "https://api.github.com"},
		{"github", "https://ghe.example.com", "", "https://ghe.example.com/api/v3"},
		{"gitlab", "https://gl.example.com", "", "https://gl.example.com/api/v4"},
		{"gitee", "https://gitee.com", "", "https://gitee.com/api/v5"},
		{"gitea", "http://127.0.0.1:3000", "", "http://127.0.0.1:3000/api/v1"},
		{"gitlab", "https://gl.example.com", "https://gl.example.com/gitlab/api/v4/", "https://gl.example.com/gitlab/api/v4"},
	} {
		if got, err := APIBase(c.forge, c.host, c.override); err != nil || got != c.want {
			t.Errorf("APIBase(%s, %s) = %q, %v; want %q", c.forge, c.host, got, err, c.want)
		}
	}
	if _, err := APIBase("plain", "https://x", ""); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("plain: %v", err)
	}
	if _, err := (Client{}).ListRepos(context.Background(), "gitblit", "https://x", "o", ""); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("gitblit: %v", err)
	}
}

// Each forge is asked to change a repository's default branch as its API
// says: GitLab by PUT on the project, Gitee with the name it requires.
func TestSetDefaultBranchRequests(t *testing.T) {
	for _, c := range []struct {
		forge, owner, want string
		body               map[string]any
	}{
		{GitHub, "apache", "PATCH /api/repos/apache/linkis", map[string]any{"default_branch": "trunk"}},
		{Gitea, "apache", "PATCH /api/repos/apache/linkis", map[string]any{"default_branch": "trunk"}},
		{Gitee, "apache", "PATCH /api/repos/apache/linkis", map[string]any{"default_branch": "trunk", "name": "linkis"}},
		{GitLab, "grp/sub", "PUT /api/projects/grp%2Fsub%2Flinkis", map[string]any{"default_branch": "trunk"}},
	} {
		f := newFake(t)
		method, path, _ := strings.Cut(c.want, " ")
		f.json(method, path, 200, map[string]any{"name": "linkis", "default_branch": "trunk"})
		if err := (Client{}).SetDefaultBranch(context.Background(), c.forge, f.URL+"/api", c.owner, "linkis", "tok", "trunk"); err != nil {
			t.Errorf("%s: %v", c.forge, err)
			continue
		}
		reqs := f.requests()
		if len(reqs) != 1 || reqs[0].Method+" "+reqs[0].Path != c.want || fmt.Sprint(reqs[0].Body) != fmt.Sprint(c.body) {
			t.Errorf("%s: %v %v, want %s %v", c.forge, f.paths(), reqs[len(reqs)-1].Body, c.want, c.body)
		}
	}
	f := newFake(t)
	f.json("PATCH", "/api/repos/o/r", 422, map[string]string{"message": "branch does not exist"})
	err := (Client{}).SetDefaultBranch(context.Background(), GitHub, f.URL+"/api", "o", "r", "tok-zz", "nope")
	if err == nil || !strings.Contains(err.Error(), "branch does not exist") || strings.Contains(err.Error(), "tok-zz") {
		t.Errorf("refused: %v", err)
	}
	if err := (Client{}).SetDefaultBranch(context.Background(), Gitblit, f.URL, "o", "r", "t", "main"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("gitblit: %v", err)
	}
}

func TestGetRepoDefaultBranch(t *testing.T) {
	f := newFake(t)
	f.json("GET", "/api/repos/apache/linkis", 200, map[string]any{"name": "linkis", "default_branch": "dev"})
	if r, err := (Client{}).GetRepo(context.Background(), Gitea, f.URL+"/api", "apache", "linkis", ""); err != nil || r.DefaultBranch != "dev" {
		t.Fatalf("%+v %v", r, err)
	}
}
