package fedcmd

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// manCommand is `git federate man`: the manual page in roff. git turns
// `git federate --help` into `man git-federate`, so the page must be
// installed for that spelling to work (`git federate -h` always does).
func manCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:  "man",
		Usage: "print the git-federate(1) manual page (roff), for `git federate --help`",
		Description: "git answers `git federate --help` with `man git-federate`. Install the page\n" +
			"where man finds it, e.g. next to the binary's directory:\n" +
			"     mkdir -p ~/.local/share/man/man1\n" +
			"     git federate man > ~/.local/share/man/man1/git-federate.1",
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 0, 0, ""); err != nil {
				return err
			}
			page, err := c.App.ToManWithSection(1)
			if err != nil {
				return fmt.Errorf("rendering the manual page: %w", err)
			}
			_, err = fmt.Fprint(stdio.Out, page)
			return err
		},
	}
}
