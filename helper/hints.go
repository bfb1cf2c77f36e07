package helper

import (
	"context"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// explain is gitexec.ExplainAs for a failure at url, with the account
// known there (account). Both transports, git's and this process's,
// explain their refusals here.
func (s *Session) explain(ctx context.Context, err error, url string) error {
	return gitexec.ExplainAs(err, url, s.account(ctx, url))
}

// explainRead is explain for a fetch or a listing for one, where a 403
// means the token may not read (gitexec.ExplainReadAs).
func (s *Session) explainRead(ctx context.Context, err error, url string) error {
	return gitexec.ExplainReadAs(err, url, s.account(ctx, url))
}

// account is what the hints know of the account at url: its forge by
// the URL's own protocol and host, and for a Gitee whether
// credential.<url>.username names the account.
func (s *Session) account(ctx context.Context, url string) gitexec.Account {
	ep, err := federation.ParseEndpoint(url)
	if err != nil || s.ForgeAt == nil {
		return gitexec.Account{}
	}
	return keystore.HintAccount(ctx, s.ForgeAt(ep.Protocol, ep.Host), s.Git.Git, s.GitDir, url, s.Git.Env)
}
