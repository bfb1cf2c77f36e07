package fedcmd

import "github.com/urfave/cli/v2"

// addCommand is `git federate add`. (Being written.)
func addCommand(IO) *cli.Command { return nil }
