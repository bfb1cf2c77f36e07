package fedcmd

import (
	"reflect"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// localizeHelp puts the help texts of app (usage lines, descriptions,
// flag usages and the headings of the help pages) in p's language. The
// English texts in the command files are the keys of the catalog.
func localizeHelp(app *cli.App, p *i18n.Printer) {
	if !p.Translates() {
		return
	}
	app.Usage = p.Text(app.Usage)
	app.Description = p.Text(app.Description)
	app.CustomAppHelpTemplate = helpHeadings(p).Replace(cli.AppHelpTemplate)
	localizeFlags(app.Flags, p)
	for _, c := range app.Commands {
		localizeCommand(c, p)
	}
}

func localizeCommand(c *cli.Command, p *i18n.Printer) {
	c.Usage = p.Text(c.Usage)
	c.Description = p.Text(c.Description)
	if len(c.Subcommands) == 0 {
		c.CustomHelpTemplate = helpHeadings(p).Replace(cli.CommandHelpTemplate)
	}
	localizeFlags(c.Flags, p)
	for _, sub := range c.Subcommands {
		localizeCommand(sub, p)
	}
}

// localizeFlags translates the Usage of each flag. The flag types of
// urfave/cli share no setter, but each has a Usage string field; the
// shared help flag (a package variable of urfave/cli) is left alone.
func localizeFlags(flags []cli.Flag, p *i18n.Printer) {
	for _, f := range flags {
		if f == cli.HelpFlag {
			continue
		}
		v := reflect.ValueOf(f)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			continue
		}
		if u := v.Elem().FieldByName("Usage"); u.IsValid() && u.Kind() == reflect.String && u.CanSet() {
			u.SetString(p.Text(u.String()))
		}
	}
}

// helpHeadings translates the headings of urfave/cli's help templates.
func helpHeadings(p *i18n.Printer) *strings.Replacer {
	return strings.NewReplacer(
		"GLOBAL OPTIONS:", p.Sprintf("GLOBAL OPTIONS:"),
		"NAME:", p.Sprintf("NAME:"),
		"USAGE:", p.Sprintf("USAGE:"),
		"DESCRIPTION:", p.Sprintf("DESCRIPTION:"),
		"COMMANDS:", p.Sprintf("COMMANDS:"),
		"OPTIONS:", p.Sprintf("OPTIONS:"),
		"VERSION:", p.Sprintf("VERSION:"),
		"AUTHOR:", p.Sprintf("AUTHOR:"),
		"CATEGORY:", p.Sprintf("CATEGORY:"),
		"COPYRIGHT:", p.Sprintf("COPYRIGHT:"),
	)
}
