package fedcmd

import "github.com/urfave/cli/v2"

// removeCommand is `git federate remove`. (Being written.)
func removeCommand(IO) *cli.Command { return nil }
