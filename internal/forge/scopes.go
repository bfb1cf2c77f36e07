package forge

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// The things a configuration may need a token to do on a host.
const (
	NeedRead     = "read"      // fetch from an origin
	NeedWrite    = "write"     // push to a mirror
	NeedCreate   = "create"    // create a missing mirror repository
	NeedHooks    = "hooks"     // administer a repository's webhooks
	NeedOrgHooks = "org-hooks" // administer an organisation's (group's) webhooks
)

// Access is what a forge says one token may do.
type Access struct {
	// Scopes are the token's scopes in the forge's own words, sorted;
	// meaningful only when Listed.
	Scopes []string `json:"scopes,omitempty"`
	// Listed says the forge told the scopes; else they are unknown, not
	// empty.
	Listed bool `json:"listed"`
	// Allowed holds what a probe of a repository found, per Need* value,
	// when the forge does not list scopes; a missing key is unknown.
	Allowed map[string]bool `json:"allowed,omitempty"`
	// Note says what the forge could not tell, for a person to read.
	Note string `json:"note,omitempty"`

	// notes are the parts of Note, which LocalNote says in the user's
	// language; JSON keeps the English Note.
	notes []i18n.Msg
}

// addNote adds m to what the forge could not tell.
func (a *Access) addNote(m i18n.Msg) {
	if a.Note != "" {
		a.Note += "; "
	}
	a.Note += m.String()
	a.notes = append(a.notes, m)
}

// LocalNote is Note in p's language.
func (a *Access) LocalNote(p *i18n.Printer) string {
	if len(a.notes) == 0 {
		return a.Note
	}
	parts := make([]string, len(a.notes))
	for i, m := range a.notes {
		parts[i] = m.Localize(p)
	}
	return strings.Join(parts, p.Sprintf("; "))
}

// Missing is one thing a token may not do that the configuration needs.
type Missing struct {
	Need string `json:"need"`
	// Scope is the forge's word for what to add ("repo", "api", …).
	Scope string `json:"scope"`
	// Settings is the page where the token's scopes are changed.
	Settings string `json:"settings"`
}

// grants lists, per forge and need, the scopes any one of which allows
// it; the first is the one to ask for. A need with no entry takes no
// scope (GitHub reads public repositories with any token).
var grants = map[string]map[string][]string{
	GitHub: {
		NeedWrite:    {"repo", "public_repo"},
		NeedCreate:   {"repo", "public_repo"},
		NeedHooks:    {"admin:repo_hook", "write:repo_hook", "repo"},
		NeedOrgHooks: {"admin:org_hook"},
	},
	GitLab: {
		NeedRead:     {"read_repository", "write_repository", "api"},
		NeedWrite:    {"write_repository", "api"},
		NeedCreate:   {"api"},
		NeedHooks:    {"api"},
		NeedOrgHooks: {"api"},
	},
	Gitea: {
		NeedRead:     {"read:repository", "write:repository", "all"},
		NeedWrite:    {"write:repository", "all"},
		NeedCreate:   {"write:repository", "all"},
		NeedHooks:    {"write:repository", "all"},
		NeedOrgHooks: {"write:organization", "all"},
	},
	Gitee: {
		NeedRead:     {"projects"},
		NeedWrite:    {"projects"},
		NeedCreate:   {"projects"},
		NeedHooks:    {"hook"},
		NeedOrgHooks: {"hook"},
	},
}

// ScopeFor is the forge's word for the scope that allows need, or "".
func ScopeFor(forge, need string) string {
	if g := grants[forge][need]; len(g) > 0 {
		return g[0]
	}
	return ""
}

// SettingsURL is the page of hostURL ("https://host[:port]") where a
// user changes a token's scopes.
func SettingsURL(forge, hostURL string) string {
	switch forge {
	case GitHub:
		return hostURL + "/settings/tokens"
	case GitLab:
		return hostURL + "/-/user_settings/personal_access_tokens"
	case Gitee:
		return "https://gitee.com/profile/personal_access_tokens"
	case Gitea:
		return hostURL + "/user/settings/applications"
	}
	return ""
}

// Lacks lists the needs the token may not do, as far as the forge told:
// by its listed scopes, else by what a probe found. An unknown need is
// not listed.
func (a Access) Lacks(forge, hostURL string, needs []string) []Missing {
	var out []Missing
	for _, n := range needs {
		if a.allows(forge, n) {
			continue
		}
		out = append(out, Missing{Need: n, Scope: ScopeFor(forge, n), Settings: SettingsURL(forge, hostURL)})
	}
	return out
}

func (a Access) allows(forge, need string) bool {
	if ok, known := a.Allowed[need]; known && !ok {
		return false
	}
	if !a.Listed {
		return true
	}
	g, ok := grants[forge][need]
	if !ok {
		return true
	}
	for _, s := range a.Scopes {
		for _, want := range g {
			if s == want {
				return true
			}
		}
	}
	return false
}

// RepoRef names a repository by owner (a GitLab group path may nest)
// and name.
type RepoRef struct{ Owner, Name string }

func (r RepoRef) valid() bool { return r.Owner != "" && r.Name != "" }

// Scopes asks forge what token may do: GitHub lists a classic token's
// scopes in the X-OAuth-Scopes header of GET /user, GitLab answers GET
// /personal_access_tokens/self. Where the forge lists nothing (GitHub
// fine-grained tokens, Gitee, Gitea) repo, when given, is probed: the
// account's permissions on it, and on Gitea a harmless invalid hook
// creation that the forge refuses for a missing scope before it reads
// the body.
func (c Client) Scopes(ctx context.Context, forge, base, token string, repo RepoRef) (Access, error) {
	if !Known(forge) {
		return Access{}, i18n.Errorf("%w: %q", ErrUnsupported, forge)
	}
	switch forge {
	case GitHub:
		h, err := c.call(ctx, request{forge: forge, base: base, method: http.MethodGet, path: "/user", token: token}, nil)
		if err != nil {
			return Access{}, err
		}
		if v, ok := h[http.CanonicalHeaderKey("X-OAuth-Scopes")]; ok {
			return Access{Scopes: splitScopes(strings.Join(v, ",")), Listed: true}, nil
		}
		return c.probe(ctx, forge, base, token, repo, i18n.M("GitHub does not list a fine-grained token's permissions"))
	case GitLab:
		var self struct {
			Scopes []string `json:"scopes"`
		}
		_, err := c.call(ctx, request{forge: forge, base: base, method: http.MethodGet, path: "/personal_access_tokens/self", token: token}, &self)
		if err != nil {
			return Access{}, err
		}
		return Access{Scopes: splitScopes(strings.Join(self.Scopes, ",")), Listed: true}, nil
	case Gitea:
		return c.giteaScopes(ctx, base, token, repo)
	}
	return c.probe(ctx, forge, base, token, repo, i18n.M("Gitee does not report a token's scopes"))
}

// splitScopes reads a comma- or space-separated scope list. What does
// not look like a scope name is dropped: it is server text, shown to a
// person.
func splitScopes(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if scopeNameRE().MatchString(f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// scopeNameRE is what a scope name may be; compiled at first use.
var scopeNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9:_.-]{1,64}$`) })

// noRepoToProbe notes that no repository told what the token may do.
var noRepoToProbe = i18n.M("no configured repository on this host to probe")

// probe reads the account's permissions on repo: GitHub and Gitea
// "permissions", Gitee "permission", each {admin, push, pull}.
func (c Client) probe(ctx context.Context, forge, base, token string, repo RepoRef, note i18n.Msg) (Access, error) {
	var a Access
	a.addNote(note)
	if !repo.valid() {
		a.addNote(noRepoToProbe)
		return a, nil
	}
	perm, err := c.permissions(ctx, forge, base, token, repo)
	if err != nil {
		return a, err
	}
	a.addNote(i18n.M("permissions probed on %s", repo.Owner+"/"+repo.Name))
	a.Allowed = map[string]bool{NeedRead: perm.Pull, NeedWrite: perm.Push, NeedHooks: perm.Admin}
	return a, nil
}

type repoPerm struct {
	Admin bool `json:"admin"`
	Push  bool `json:"push"`
	Pull  bool `json:"pull"`
}

func (c Client) permissions(ctx context.Context, forge, base, token string, repo RepoRef) (repoPerm, error) {
	if err := checkOwner(repo.Owner); err != nil {
		return repoPerm{}, err
	}
	if err := CheckName(repo.Name); err != nil {
		return repoPerm{}, err
	}
	var body struct {
		Permissions *repoPerm `json:"permissions"`
		Permission  *repoPerm `json:"permission"` // Gitee
	}
	p := "/repos/" + url.PathEscape(repo.Owner) + "/" + url.PathEscape(repo.Name)
	if _, err := c.call(ctx, request{forge: forge, base: base, method: http.MethodGet, path: p, token: token}, &body); err != nil {
		return repoPerm{}, err
	}
	switch {
	case body.Permissions != nil:
		return *body.Permissions, nil
	case body.Permission != nil:
		return *body.Permission, nil
	}
	return repoPerm{Pull: true}, nil
}

// giteaScopeRE reads the scopes Gitea names when it refuses a token for
// a missing one: "token does not have at least one of required scope(s),
// required=[write:repository], token scope=read:repository". Compiled
// at first use.
var giteaScopeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`token scope=([a-z:,_-]+)`) })

// giteaScopes probes Gitea, which has no token-scope API for a token:
// POST /repos/O/R/hooks with an empty body is checked for the
// write:repository scope and repository admin rights before the body is
// read, so a 422 means both are there and nothing is created.
func (c Client) giteaScopes(ctx context.Context, base, token string, repo RepoRef) (Access, error) {
	var a Access
	a.addNote(i18n.M("Gitea does not list a token's scopes to the token"))
	if !repo.valid() {
		a.addNote(noRepoToProbe)
		return a, nil
	}
	if err := checkOwner(repo.Owner); err != nil {
		return a, err
	}
	if err := CheckName(repo.Name); err != nil {
		return a, err
	}
	p := "/repos/" + url.PathEscape(repo.Owner) + "/" + url.PathEscape(repo.Name) + "/hooks"
	_, err := c.call(ctx, request{forge: Gitea, base: base, method: http.MethodPost, path: p, body: map[string]any{}, token: token}, nil)
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusUnprocessableEntity:
		a.Allowed = map[string]bool{NeedRead: true, NeedWrite: true, NeedCreate: true, NeedHooks: true}
		a.Note, a.notes = "", nil
		return a, nil
	case errors.As(err, &se) && se.Status == http.StatusForbidden:
		if m := giteaScopeRE().FindStringSubmatch(se.Message); m != nil {
			return Access{Scopes: splitScopes(m[1]), Listed: true}, nil
		}
		// The scope is there; the account is no administrator of repo.
		perm, perr := c.permissions(ctx, Gitea, base, token, repo)
		if perr != nil {
			return a, perr
		}
		a.Allowed = map[string]bool{NeedRead: perm.Pull, NeedWrite: perm.Push, NeedHooks: false}
		return a, nil
	case err != nil:
		return a, err
	}
	return a, nil
}
