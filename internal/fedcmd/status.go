package fedcmd

import "github.com/urfave/cli/v2"

// statusCommand is `git federate status`. (Being written.)
func statusCommand(IO) *cli.Command { return nil }
