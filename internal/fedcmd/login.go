package fedcmd

import "github.com/urfave/cli/v2"

// loginCommand is `git federate login`. (Being written.)
func loginCommand(IO) *cli.Command { return nil }
