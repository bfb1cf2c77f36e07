package fedcmd

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// needWords says, for a person, why the configuration needs each thing.
var needWords = map[string]i18n.Msg{
	forge.NeedRead:     i18n.M("read (an origin)"),
	forge.NeedWrite:    i18n.M("push (a mirror)"),
	forge.NeedCreate:   i18n.M("create repositories (createMissing)"),
	forge.NeedHooks:    i18n.M("administer repository webhooks (git federate hook)"),
	forge.NeedOrgHooks: i18n.M("administer organisation webhooks (git federate hook)"),
}

// hostNeeds is what the configuration needs a token to do on each host
// (by host URL): read where an origin is, write where a mirror is, and
// repository creation where a mirror has createMissing.
func hostNeeds(cfg *federation.Config) map[string][]string {
	sets := map[string]map[string]bool{}
	add := func(e federation.Endpoint, needs ...string) {
		if !e.HTTP() {
			return
		}
		if sets[e.HostURL()] == nil {
			sets[e.HostURL()] = map[string]bool{}
		}
		for _, n := range needs {
			sets[e.HostURL()][n] = true
		}
	}
	mirrorNeeds := func(create bool) []string {
		if create {
			return []string{forge.NeedWrite, forge.NeedCreate}
		}
		return []string{forge.NeedWrite}
	}
	for _, name := range cfg.Names() {
		f := cfg.Federations[name]
		add(f.Origin, forge.NeedRead)
		for _, m := range f.Mirrors {
			add(m, mirrorNeeds(f.CreateMissing)...)
		}
	}
	for _, name := range setNames(cfg) {
		st := cfg.Sets[name]
		if e, err := federation.ParseEndpoint(st.Origin); err == nil {
			add(e, forge.NeedRead)
		}
		for _, raw := range st.Mirrors {
			if e, err := federation.ParseEndpoint(raw); err == nil {
				add(e, mirrorNeeds(st.CreateMissing)...)
			}
		}
	}
	out := map[string][]string{}
	for host, set := range sets {
		for n := range set {
			out[host] = append(out[host], n)
		}
		sort.Strings(out[host])
	}
	return out
}

// repoRef is the owner and name of a repository URL, or the zero value
// when the URL names no repository (an owner of a federationset).
func repoRef(e federation.Endpoint) forge.RepoRef {
	p := strings.TrimSuffix(strings.Trim(e.Path, "/"), ".git")
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return forge.RepoRef{}
	}
	return forge.RepoRef{Owner: p[:i], Name: p[i+1:]}
}

// scopeCheck asks the forge what token may do on host and compares it
// with needs; it fills the scope fields of res.
func scopeCheck(ctx context.Context, c forge.Client, res *HostAuth, base, token string, repo forge.RepoRef) {
	acc, err := c.Scopes(ctx, res.Forge, base, token, repo)
	if err != nil {
		res.ScopeError, res.scopeErr = err.Error(), err
		return
	}
	res.Access = &acc
	res.Missing = acc.Lacks(res.Forge, res.Host, res.Needs)
}

// printScopes writes what res says of the token's scopes, indented under
// its host, in p's language: the scopes or why they are unknown, then
// each missing one. The scope names are the forge's own words.
func printScopes(w io.Writer, p *i18n.Printer, indent string, res HostAuth) {
	switch {
	case res.ScopeError != "":
		why := res.ScopeError
		if res.scopeErr != nil {
			why = p.Error(res.scopeErr)
		}
		p.Fprintf(w, "%sscopes: could not ask the forge: %s\n", indent, why)
	case res.Access == nil:
		return
	case res.Access.Listed && len(res.Access.Scopes) == 0:
		p.Fprintf(w, "%sscopes: none\n", indent)
	case res.Access.Listed:
		p.Fprintf(w, "%sscopes: %s\n", indent, strings.Join(res.Access.Scopes, ", "))
	case res.Access.Note != "":
		p.Fprintf(w, "%sscopes: unknown (%s)\n", indent, res.Access.LocalNote(p))
	}
	for _, m := range res.Missing {
		fmt.Fprintf(w, "%s%s\n", indent, missingText(m).Localize(p))
	}
}

// missingText words one missing scope with the forge's name for it and
// where to add it.
func missingText(m forge.Missing) i18n.Msg {
	need := needWords[m.Need]
	switch {
	case m.Scope != "" && m.Settings != "":
		return i18n.M("token without permission to %s: it needs the scope %s (change it at %s)", need, m.Scope, m.Settings)
	case m.Scope != "":
		return i18n.M("token without permission to %s: it needs the scope %s", need, m.Scope)
	case m.Settings != "":
		return i18n.M("token without permission to %s (change it at %s)", need, m.Settings)
	}
	return i18n.M("token without permission to %s", need)
}
