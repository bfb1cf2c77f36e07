package fedcmd

import (
	"fmt"
	"sort"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/urfave/cli/v2"
)

// notACommand is the usage error for a word that names no command, with
// the nearest commands when it looks like a typo of one.
func notACommand(app *cli.App, word string) error {
	var names []string
	for _, c := range app.VisibleCommands() {
		names = append(names, c.Name)
	}
	msg := fmt.Sprintf("%q is not a git federate command. See 'git federate --help'.", word)
	if near := federation.Suggest(word, names); len(near) > 0 {
		msg += "\n\nThe most similar command is\n\t" + near[0]
		if len(near) > 1 {
			msg = fmt.Sprintf("%q is not a git federate command. See 'git federate --help'.\n\nThe most similar commands are", word)
			for _, n := range near {
				msg += "\n\t" + n
			}
		}
	}
	return UsageError("%s", msg)
}

// definedNames lists the federations and federationsets of cfg, sorted.
func definedNames(cfg *federation.Config) []string {
	names := cfg.Names()
	for n := range cfg.Sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
