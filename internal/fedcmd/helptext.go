package fedcmd

import (
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/text/language"

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
	app.CustomAppHelpTemplate = helpTemplate(p, cli.AppHelpTemplate)
	localizeFlags(app.Flags, p)
	for _, c := range app.Commands {
		localizeCommand(c, p)
	}
}

func localizeCommand(c *cli.Command, p *i18n.Printer) {
	c.Usage = p.Text(c.Usage)
	c.Description = p.Text(c.Description)
	if len(c.Subcommands) == 0 {
		c.CustomHelpTemplate = helpTemplate(p, cli.CommandHelpTemplate)
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

// helpTemplate is one of urfave/cli's help templates in p's language:
// its headings translated, and its list of flags printed by flagText,
// which translates what urfave/cli adds to a flag's own usage.
func helpTemplate(p *i18n.Printer, template string) string {
	lang := strconv.Quote(p.Language().String())
	return helpHeadings(p).Replace(strings.NewReplacer(
		`{{template "visibleFlagCategoryTemplate" .}}`,
		`{{range .VisibleFlags}}`+"\n   "+`{{flagText `+lang+` .}}{{end}}`+"\n",
		`{{template "visibleFlagTemplate" .}}`,
		`{{range .VisibleFlags}}`+"\n   "+`{{wrap (flagText `+lang+` .) 6}}{{end}}`,
		// urfave/cli's usageTemplate, which the replacer cannot reach
		// where it is defined.
		`{{template "usageTemplate" .}}`,
		`{{if .UsageText}}{{wrap .UsageText 3}}{{else}}{{.HelpName}}{{if .VisibleFlags}} [command options]{{end}}`+
			`{{if .ArgsUsage}} {{.ArgsUsage}}{{else}}{{if .Args}} [arguments...]{{end}}{{end}}{{end}}`,
	).Replace(template))
}

func init() {
	// urfave/cli prints help with this function; the templates of a
	// translated help (helpTemplate) call flagText, which it adds. An
	// English help uses urfave/cli's own templates, unchanged.
	cli.HelpPrinter = func(w io.Writer, template string, data any) {
		cli.HelpPrinterCustom(w, template, data, map[string]any{"flagText": flagText})
	}
}

// flagText is f's line of help in the language lang: urfave/cli's
// line, with the usage of its shared help flag and its "(default: …)"
// translated.
func flagText(lang string, f cli.Flag) string {
	p := i18n.New(language.Make(lang))
	s := f.String()
	if f == cli.HelpFlag {
		s = strings.Replace(s, "\t"+cli.HelpFlag.(*cli.BoolFlag).Usage, "\t"+p.Sprintf("show help"), 1)
	}
	if d, ok := f.(cli.DocGenerationFlag); ok && d.GetDefaultText() != "" {
		def := " (default: " + d.GetDefaultText() + ")"
		if i := strings.LastIndex(s, def); i >= 0 {
			s = s[:i] + p.Sprintf(" (default: %s)", d.GetDefaultText()) + s[i+len(def):]
		}
	}
	return s
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
		"[command options]", p.Sprintf("[command options]"),
		"[global options]", p.Sprintf("[global options]"),
		"[arguments...]", p.Sprintf("[arguments...]"),
	)
}
