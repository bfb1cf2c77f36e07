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
	ep, perr := federation.ParseEndpoint(url)
	if perr != nil || s.ForgeAt == nil {
		return gitexec.Explain(err, url)
	}
	acct := keystore.HintAccount(ctx, s.ForgeAt(ep.Protocol, ep.Host), s.Git.Git, s.GitDir, url, s.Git.Env)
	return gitexec.ExplainAs(err, url, acct)
}
