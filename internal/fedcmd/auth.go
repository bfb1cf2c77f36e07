package fedcmd

import "github.com/urfave/cli/v2"

// authCommand is `git federate auth`. (Being written.)
func authCommand(IO) *cli.Command { return nil }
