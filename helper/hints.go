package helper

import (
	"context"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// explain is gitexec.ExplainAs for a failure at url, with the account
// known there: its forge by the URL's own protocol and host, and for a
// Gitee whether credential.<url>.username names the account. Both
// transports, git's and this process's, explain their refusals here.
func (s *Session) explain(ctx context.Context, err error, url string) error {
	return gitexec.ExplainAs(err, url, s.account(ctx, url))
}

// account is what the hints know of the account used at url.
func (s *Session) account(ctx context.Context, url string) gitexec.Account {
	ep, perr := federation.ParseEndpoint(url)
	if perr != nil || s.ForgeAt == nil {
		return gitexec.Account{}
	}
	a := gitexec.Account{Forge: s.ForgeAt(ep.Protocol, ep.Host)}
	if a.Forge == "gitee" {
		// Asked after the failure, which may have ended ctx.
		user, _ := keystore.ConfiguredUsername(context.WithoutCancel(ctx), s.Git.Git, s.GitDir, url, s.Git.Env)
		a.Named = user != ""
	}
	return a
}
