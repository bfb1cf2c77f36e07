package fedcmd

import "github.com/urfave/cli/v2"

// doctorCommand is `git federate doctor`. (Being written.)
func doctorCommand(IO) *cli.Command { return nil }
