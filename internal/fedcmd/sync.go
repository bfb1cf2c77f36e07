package fedcmd

import "github.com/urfave/cli/v2"

// syncCommand is `git federate sync`. (Being written.)
func syncCommand(IO) *cli.Command { return nil }
