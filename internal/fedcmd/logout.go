package fedcmd

import "github.com/urfave/cli/v2"

// logoutCommand is `git federate logout`. (Being written.)
func logoutCommand(IO) *cli.Command { return nil }
