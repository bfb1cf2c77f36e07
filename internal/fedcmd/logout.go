package fedcmd

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// LogoutOptions are the flags of `git federate logout`.
type LogoutOptions struct {
	URL  string
	IO   IO
	Deps TokenDeps
}

func logoutCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "logout",
		Usage:     "delete the token for a host from the OS keyring",
		ArgsUsage: "<url>",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return UsageError("logout takes one URL, e.g. `git federate logout https://gitee.com`")
			}
			return runLogout(c.Context, LogoutOptions{URL: c.Args().First(), IO: stdio})
		},
	}
}

func runLogout(ctx context.Context, o LogoutOptions) error {
	tgt, err := parseTarget(o.URL)
	if err != nil {
		return err
	}
	host := tgt.ep.HostURL()
	err = o.Deps.keyring().Delete(ctx, tgt.key)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		err = i18n.Errorf("no token for %s in the OS keyring", host)
	case err != nil:
		err = i18n.Errorf("deleting the token for %s: %w", host, err)
	default:
		o.IO.P.Fprintf(o.IO.Err, "Deleted the token for %s from the OS keyring.\n", host)
	}
	// Whatever the keyring did, a variable still gives a token.
	env := keystore.Env{Getenv: o.Deps.getenv}
	for _, v := range env.Variables(tgt.ep.Host) {
		if o.Deps.getenv(v) != "" {
			o.IO.P.Fprintf(o.IO.Err, "note: $%s still gives a token for %s\n", v, host)
		}
	}
	return err
}
