package fedcmd

import (
	"fmt"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/urfave/cli/v2"
)

// notACommand is the usage error for a word that names no command, with
// the nearest commands, as git lists them, when it looks like a typo.
func notACommand(app *cli.App, word string) error {
	var names []string
	for _, c := range app.VisibleCommands() {
		names = append(names, c.Name)
	}
	msg := fmt.Sprintf("%q is not a git federate command. See 'git federate --help'.", word)
	switch near := federation.Suggest(word, names); len(near) {
	case 0:
	case 1:
		msg += "\n\nThe most similar command is\n\t" + near[0]
	default:
		msg += "\n\nThe most similar commands are\n\t" + strings.Join(near, "\n\t")
	}
	return UsageError("%s", msg)
}
