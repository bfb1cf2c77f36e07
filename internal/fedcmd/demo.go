package fedcmd

import "github.com/urfave/cli/v2"

// demoCommand is `git federate demo`. (Being written.)
func demoCommand(IO) *cli.Command { return nil }
