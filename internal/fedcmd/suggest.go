package fedcmd

import (
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/urfave/cli/v2"
)

// notACommand is the usage error for a word that names no command, with
// the nearest commands, as git lists them, when it looks like a typo.
func notACommand(app *cli.App, word string) error {
	var names []string
	for _, c := range app.VisibleCommands() {
		names = append(names, c.Name)
	}
	msg := i18n.M("%q is not a git federate command. See 'git federate --help'.", word)
	var similar any = ""
	switch near := federation.Suggest(word, names); len(near) {
	case 0:
	case 1:
		similar = i18n.M("\n\nThe most similar command is\n\t%s", near[0])
	default:
		similar = i18n.M("\n\nThe most similar commands are\n\t%s", strings.Join(near, "\n\t"))
	}
	return UsageError("%v%v", msg, similar)
}
