package forge

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// ErrTooManyPages means a listing had more pages than Client.MaxPages.
var ErrTooManyPages = i18n.Errorf("listing has more pages than the limit")

// Repo is what a forge says about one repository.
type Repo struct {
	// Name is the repository's URL path segment under its owner ("linkis"
	// in https://github.com/apache/linkis). Gitee and GitLab also have a
	// display name, which may differ; this is never it.
	Name string
	// FullName is "<owner>/<name>" (GitLab: the path with namespace).
	FullName string
	// CloneURL is the https clone URL the forge reports.
	CloneURL string
	Private  bool
	Archived bool
	// Description and Homepage are the repository's own ("" when none
	// or when the forge has no such field: GitLab has no homepage).
	Description, Homepage string
	// DefaultBranch is the branch the repository's HEAD names ("" when
	// the forge does not say).
	DefaultBranch string
	// ChangedAt is when the forge last saw a push (GitHub and Gitee
	// pushed_at, GitLab last_activity_at, else updated_at); zero when the
	// forge does not say. A hint for skipping unchanged repositories.
	ChangedAt time.Time
}

// apiRepo decodes a repository from any of the four forges.
type apiRepo struct {
	Name     string `json:"name"`
	Path     string `json:"path"`      // GitLab, Gitee: the URL segment
	FullName string `json:"full_name"` // GitHub, Gitea, Gitee
	PathNS   string `json:"path_with_namespace"`
	CloneURL string `json:"clone_url"`
	HTTPURL  string `json:"http_url_to_repo"` // GitLab
	HTMLURL  string `json:"html_url"`         // Gitee's clone URL is html_url
	Private  bool   `json:"private"`
	Vis      string `json:"visibility"` // GitLab: private, internal, public
	Archived bool   `json:"archived"`
	Desc     string `json:"description"`
	Homepage string `json:"homepage"` // GitHub, Gitee
	Website  string `json:"website"`  // Gitea
	Default  string `json:"default_branch"`

	PushedAt     apiTime `json:"pushed_at"`        // GitHub, Gitee
	LastActivity apiTime `json:"last_activity_at"` // GitLab
	UpdatedAt    apiTime `json:"updated_at"`       // all; Gitea's only one
}

// apiTime is a forge's timestamp. One the forge writes oddly (null, empty,
// another layout) reads as zero, "unknown", instead of failing the whole
// listing: it is only a hint.
type apiTime struct{ time.Time }

func (t *apiTime) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		t.Time = parsed
	}
	return nil
}

// changedAt picks the most specific "last push" time the forge gave.
func (a apiRepo) changedAt() time.Time {
	for _, t := range []apiTime{a.PushedAt, a.LastActivity, a.UpdatedAt} {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return time.Time{}
}

func (a apiRepo) repo() Repo {
	r := Repo{Name: a.Name, FullName: a.FullName, CloneURL: a.CloneURL, Private: a.Private, Archived: a.Archived,
		Description: a.Desc, Homepage: a.Homepage, DefaultBranch: a.Default, ChangedAt: a.changedAt()}
	if r.Homepage == "" {
		r.Homepage = a.Website
	}
	if a.Path != "" {
		r.Name = a.Path
	}
	if a.PathNS != "" {
		r.FullName = a.PathNS
		r.Private = a.Vis != "public"
	}
	if r.CloneURL == "" {
		r.CloneURL = a.HTTPURL
	}
	if r.CloneURL == "" && a.HTMLURL != "" {
		r.CloneURL = strings.TrimSuffix(a.HTMLURL, ".git") + ".git"
	}
	return r
}

// ListRepos lists every repository owner has on forge, whose API is at
// base. owner is a user or an organisation (a GitLab group, given by its
// full path): the organisation listing is tried first, and a 404 there
// means a user. For the token's own account on GitHub and Gitee the
// listing includes private repositories (GET /user/repos?affiliation=owner).
// A GitLab group lists its own projects, not its subgroups'. token may
// be "" for public repositories only. At most MaxPages pages are read,
// Jobs at a time when the forge says how many there are, within its
// request budget (see list); a listing with a page that failed is an
// error, never a shorter list.
func (c Client) ListRepos(ctx context.Context, forge, base, owner, token string) ([]Repo, error) {
	if !Known(forge) {
		return nil, i18n.Errorf("%w: %q", ErrUnsupported, forge)
	}
	if err := checkOwner(owner); err != nil {
		return nil, err
	}
	org, user := listPaths(forge, owner)
	q := url.Values{}
	if forge == GitLab {
		q.Set("include_subgroups", "false")
		q.Set("with_shared", "false")
	}
	repos, err := c.list(ctx, request{forge: forge, base: base, method: http.MethodGet, path: org, query: q, token: token})
	if !errors.Is(err, ErrNotFound) {
		return repos, err
	}
	// A user. GitHub and Gitee list only public repositories there, even
	// to their owner: the token's own account is listed through /user/repos.
	if forge == GitHub || forge == Gitee {
		self, err := c.isSelf(ctx, forge, base, owner, token)
		if err != nil {
			return nil, err
		}
		if self {
			q.Set("affiliation", "owner")
			repos, err := c.list(ctx, request{forge: forge, base: base, method: http.MethodGet, path: "/user/repos", query: q, token: token})
			return ownedBy(repos, owner), err
		}
	}
	return c.list(ctx, request{forge: forge, base: base, method: http.MethodGet, path: user, query: q, token: token})
}

// listPaths are the organisation and user listing paths for owner.
func listPaths(forge, owner string) (org, user string) {
	o := url.PathEscape(owner) // a GitLab group path "a/b" becomes "a%2Fb", as its API wants
	if forge == GitLab {
		return "/groups/" + o + "/projects", "/users/" + o + "/projects"
	}
	return "/orgs/" + o + "/repos", "/users/" + o + "/repos"
}

// isSelf reports whether owner is the account token belongs to.
func (c Client) isSelf(ctx context.Context, forge, base, owner, token string) (bool, error) {
	if token == "" {
		return false, nil
	}
	u, err := c.CurrentUser(ctx, forge, base, token)
	if err != nil {
		return false, err
	}
	return strings.EqualFold(u.Login, owner), nil
}

func ownedBy(repos []Repo, owner string) []Repo {
	out := repos[:0]
	for _, r := range repos {
		if o, _, ok := strings.Cut(r.FullName, "/"); !ok || strings.EqualFold(o, owner) {
			out = append(out, r)
		}
	}
	return out
}

func (c Client) perPage(forge string) int {
	limit := 100
	if forge == Gitea {
		limit = 50 // Gitea's default MAX_RESPONSE_ITEMS
	}
	if c.PerPage > 0 && c.PerPage < limit {
		return c.PerPage
	}
	return limit
}

// checkOwner refuses owner and repository names that would change the
// API path: "..", empty segments, or characters outside a forge's names.
func checkOwner(owner string) error {
	if owner == "" {
		return i18n.Errorf("empty owner name")
	}
	for _, seg := range strings.Split(owner, "/") {
		if err := CheckName(seg); err != nil {
			return err
		}
	}
	return nil
}

// CheckName refuses an owner or repository name (one path segment) that
// would change the path of an API call or of a URL built from it: empty,
// "." or "..", a slash or backslash, URL delimiters, spaces, control characters,
// or a leading "-" that git could read as an option.
func CheckName(name string) error {
	if name == "" || name == "." || name == ".." || strings.HasPrefix(name, "-") ||
		strings.ContainsAny(name, "?#%\\ /") || strings.ContainsFunc(name, unicode.IsControl) {
		return i18n.Errorf("%q is not a usable owner or repository name", name)
	}
	return nil
}

// CreateOptions are the settings of a repository CreateRepo makes.
type CreateOptions struct {
	Private     bool
	Description string
	// Homepage is the project's web site; GitLab has no such field.
	Homepage string
	// DefaultBranch is origin's, for the mirror once it has that branch
	// (SetDefaultBranch): a forge takes only a branch the repository has,
	// so CreateRepo does not send it.
	DefaultBranch string
}

// CreateRepo creates an empty repository name under owner on forge: in
// owner's organisation (GitLab: group) when owner is not the token's own
// account, else for the account itself. It returns ErrExists (wrapped)
// when the name is taken, ErrForbidden when the token may not create
// there (ScopeFor names the scope each forge needs). The returned Repo
// says what the forge kept: compare it with opts to learn what it did not.
func (c Client) CreateRepo(ctx context.Context, forge, base, owner, name, token string, opts CreateOptions) (Repo, error) {
	if !Known(forge) {
		return Repo{}, i18n.Errorf("%w: %q", ErrUnsupported, forge)
	}
	if err := checkOwner(owner); err != nil {
		return Repo{}, err
	}
	if err := CheckName(name); err != nil {
		return Repo{}, err
	}
	if token == "" {
		return Repo{}, i18n.Errorf("creating %s/%s on %s: %w (no token)", owner, name, base, ErrUnauthorized)
	}
	r := request{forge: forge, base: base, method: http.MethodPost, token: token}
	var err error
	if forge == GitLab {
		r.path = "/projects"
		r.body, err = c.gitlabProject(ctx, base, owner, name, token, opts)
	} else {
		r.path, err = c.createPath(ctx, forge, base, owner, token)
		r.body = map[string]any{"name": name, "path": name, "private": opts.Private,
			"description": opts.Description, "homepage": opts.Homepage, "auto_init": false}
	}
	if err != nil {
		return Repo{}, i18n.Errorf("creating %s/%s: %w", owner, name, err)
	}
	var a apiRepo
	if _, err := c.call(ctx, r, &a); err != nil {
		return Repo{}, i18n.Errorf("creating %s/%s: %w", owner, name, existsErr(err))
	}
	if forge == Gitea && opts.Homepage != "" {
		// Gitea takes a web site only when a repository is edited.
		c.setWebsite(ctx, base, owner, name, token, opts.Homepage, &a)
	}
	return a.repo(), nil
}

// setWebsite edits a Gitea repository's web site and, when that works,
// updates a with the answer; a failure leaves a as it was, so the caller
// sees the field was not set.
func (c Client) setWebsite(ctx context.Context, base, owner, name, token, site string, a *apiRepo) {
	var edited apiRepo
	p, _ := repoPath(Gitea, owner, name) // checked by CreateRepo
	r := request{forge: Gitea, base: base, method: http.MethodPatch, path: p, body: map[string]any{"website": site}, token: token}
	if _, err := c.call(ctx, r, &edited); err == nil {
		*a = edited
	}
}

// createPath is where a GitHub-like forge creates a repository of owner.
func (c Client) createPath(ctx context.Context, forge, base, owner, token string) (string, error) {
	self, err := c.isSelf(ctx, forge, base, owner, token)
	if err != nil {
		return "", err
	}
	if self {
		return "/user/repos", nil
	}
	return "/orgs/" + url.PathEscape(owner) + "/repos", nil
}

// gitlabProject is the body of POST /projects: GitLab names the owner by
// namespace id, looked up from its path (a user's or a group's).
func (c Client) gitlabProject(ctx context.Context, base, owner, name, token string, opts CreateOptions) (map[string]any, error) {
	var ns struct {
		ID int64 `json:"id"`
	}
	if _, err := c.call(ctx, request{forge: GitLab, base: base, method: http.MethodGet,
		path: "/namespaces/" + url.PathEscape(owner), token: token}, &ns); err != nil {
		return nil, err
	}
	vis := "public"
	if opts.Private {
		vis = "private"
	}
	return map[string]any{"name": name, "path": name, "namespace_id": ns.ID, "visibility": vis,
		"description": opts.Description, "initialize_with_readme": false}, nil
}

// existsErr adds ErrExists to the answers forges give for a taken name:
// 409 (Gitea), 422 saying it exists (GitHub in English, Gitee perhaps in
// Chinese: "已存在"), 400 "has already been taken" (GitLab).
func existsErr(err error) error {
	var se *StatusError
	if !errors.As(err, &se) {
		return err
	}
	exists := strings.Contains(strings.ToLower(se.Message), "exist") || strings.Contains(se.Message, "已存在")
	taken := se.Status == http.StatusConflict || se.Status == http.StatusUnprocessableEntity && exists ||
		se.Status == http.StatusBadRequest && strings.Contains(se.Message, "already been taken")
	if taken {
		return i18n.Errorf("%w: %w", ErrExists, err)
	}
	return err
}

// SetDefaultBranch makes branch, which owner/name must already have,
// its default branch: the one its HEAD names and a clone checks out.
func (c Client) SetDefaultBranch(ctx context.Context, forge, base, owner, name, token, branch string) error {
	p, err := repoPath(forge, owner, name)
	if err != nil {
		return err
	}
	body := map[string]any{"default_branch": branch}
	r := request{forge: forge, base: base, method: http.MethodPatch, path: p, token: token, body: body}
	switch forge {
	case GitLab:
		r.method = http.MethodPut
	case Gitee:
		body["name"] = name // Gitee's edit requires the name
	}
	_, err = c.call(ctx, r, nil)
	return err
}

// repoPath is the API path of owner/name on forge.
func repoPath(forge, owner, name string) (string, error) {
	if !Known(forge) {
		return "", i18n.Errorf("%w: %q", ErrUnsupported, forge)
	}
	if err := checkOwner(owner); err != nil {
		return "", err
	}
	if err := CheckName(name); err != nil {
		return "", err
	}
	if forge == GitLab {
		return "/projects/" + url.PathEscape(owner+"/"+name), nil
	}
	return "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name), nil
}

// GetRepo asks forge about owner/name.
func (c Client) GetRepo(ctx context.Context, forge, base, owner, name, token string) (Repo, error) {
	p, err := repoPath(forge, owner, name)
	if err != nil {
		return Repo{}, err
	}
	var a apiRepo
	if _, err := c.call(ctx, request{forge: forge, base: base, method: http.MethodGet, path: p, token: token}, &a); err != nil {
		return Repo{}, err
	}
	return a.repo(), nil
}
