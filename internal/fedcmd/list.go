package fedcmd

import "github.com/urfave/cli/v2"

// listCommand is `git federate list`. (Being written.)
func listCommand(IO) *cli.Command { return nil }
