package fedcmd

import (
	"context"
	"errors"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// errChecksWarned is what add returns (exit 3) when it wrote the
// federation but a server check warned.
var errChecksWarned = i18n.Errorf("federation written, but some servers need attention (above)")

// checkFederation checks every http(s) server of f the way a user meets
// the problems later: reachable, repository there (or createMissing will
// make it and the token may), token valid, token allowed to do what the
// federation needs there. It returns one warning per problem, each
// saying what to do; ssh, git:// and local paths are not checked here.
func checkFederation(ctx context.Context, d TokenDeps, cfg *federation.Config, f *federation.Federation) []i18n.Msg {
	var warns []i18n.Msg
	warns = append(warns, checkServer(ctx, d, cfg, f.Origin, []string{forge.NeedRead}, false)...)
	for _, m := range f.Mirrors {
		needs := []string{forge.NeedWrite}
		if f.CreateMissing {
			needs = append(needs, forge.NeedCreate)
		}
		warns = append(warns, checkServer(ctx, d, cfg, m, needs, f.CreateMissing)...)
	}
	return warns
}

// checkServer checks one repository: through its forge's API when the
// forge is known and a token exists, else with git ls-remote.
func checkServer(ctx context.Context, d TokenDeps, cfg *federation.Config, ep federation.Endpoint, needs []string, createMissing bool) []i18n.Msg {
	if !ep.HTTP() {
		return nil
	}
	host := ep.HostURL()
	name := cfg.ForgeOf(ep.Protocol, ep.Host)
	cred, err := hostCredential(ctx, d, cfg, ep)
	if err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return []i18n.Msg{i18n.M("%s: looking up the token: %v", host, err)}
	}
	if err != nil || !forge.Known(name) {
		return lsRemoteCheck(ctx, d, ep, name, createMissing)
	}
	base, err := forge.APIBase(name, host, cfg.HostFor(ep).API)
	if err != nil {
		return []i18n.Msg{i18n.M("%v", err)}
	}
	c := d.forgeClient()
	ref := repoRef(ep)
	if _, err = c.GetRepo(ctx, name, base, ref.Owner, ref.Name, cred.Token); err != nil {
		switch {
		case errors.Is(err, forge.ErrUnauthorized):
			var acct gitexec.Account
			keystore.TokenAccount(&acct, ep.Host, cred.Source, d.getenv)
			return []i18n.Msg{i18n.M("%s: invalid token (the forge refused it): %s", host, acct.TokenFix(host))}
		case errors.Is(err, forge.ErrNotFound) && createMissing:
			needs = []string{forge.NeedCreate} // the repository is made on the first sync
		case errors.Is(err, forge.ErrNotFound):
			return []i18n.Msg{i18n.M("repository %s not found: was it deleted or renamed? (or is it private, and the token may not see it?)", ep.Raw)}
		case errors.Is(err, forge.ErrForbidden):
			return []i18n.Msg{i18n.M("%s: token without permission to read %s: %v", host, ep.Raw, err)}
		case gitexec.Classify(err) == gitexec.KindTLS:
			return []i18n.Msg{i18n.M("%s: TLS certificate refused (not from a CA git trusts, expired, or for another host): %v", host, err)}
		default:
			return []i18n.Msg{i18n.M("%s: server unreachable: %v", host, err)}
		}
	}
	res := HostAuth{Host: host, Forge: name, Needs: needs}
	scopeCheck(ctx, c, &res, base, cred.Token, ref)
	var warns []i18n.Msg
	for _, m := range res.Missing {
		warns = append(warns, i18n.M("%s: %s", ep.Raw, missingText(m)))
	}
	return warns
}

// lsRemoteCheck asks git, where no forge API can be used, whether the
// repository answers.
func lsRemoteCheck(ctx context.Context, d TokenDeps, ep federation.Endpoint, forgeName string, createMissing bool) []i18n.Msg {
	r, err := d.runner()
	if err == nil {
		g, url := r.Plain(ep.Raw)
		err = g.Run(ctx, "ls-remote", "--heads", "--", url)
	}
	switch {
	case err == nil:
		return nil
	case gitexec.Classify(err) == gitexec.KindNotFound && createMissing:
		return nil // created on the first sync, where its forge allows
	case gitexec.Classify(err) == gitexec.KindAuth && ep.HTTP(): // over ssh, the key: ExplainAs says so
		acct := keystore.HintAccount(ctx, forgeName, r.Git, r.Dir, ep.Raw, r.Env)
		return []i18n.Msg{i18n.M("%s: %s", ep.Raw, tokenHint(acct, ep.HostURL()))}
	}
	return []i18n.Msg{i18n.M("%v", gitexec.ExplainAs(err, ep.Raw, keystore.HintAccount(ctx, forgeName, r.Git, r.Dir, ep.Raw, r.Env)))}
}
