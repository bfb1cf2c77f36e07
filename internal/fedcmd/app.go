// Package fedcmd is `git federate`: one file per command, each an Options
// struct filled from flags and a run function that tests call directly.
package fedcmd

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// Exit statuses of docs/DESIGN.md.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	ExitPartial = 3
)

// ExitError carries an exit status other than 1 for an error.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Localize is the error in p's language.
func (e *ExitError) Localize(p *i18n.Printer) string { return p.Error(e.Err) }

// UsageError reports bad command-line input (exit 2).
func UsageError(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: i18n.Errorf(format, a...)}
}

// Partial reports that some mirrors failed and the rest is done (exit 3).
func Partial(err error) error { return &ExitError{Code: ExitPartial, Err: err} }

// IO is the streams commands write to.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	// P says messages in the user's language; nil is English.
	P *i18n.Printer
}

// terminal returns v's file when v is a terminal: a stream that is not
// an *os.File (a test's buffer) is not one.
func terminal(v any) (*os.File, bool) {
	f, ok := v.(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// Main runs `git federate` with args and returns the exit status.
func Main(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	stdio := IO{In: in, Out: out, Err: errOut, P: i18n.From(ctx)}
	app := NewApp(stdio)
	if len(args) > 0 && args[0] == completeArg {
		runComplete(ctx, stdio, app, args[1:])
		return ExitOK
	}
	err := app.RunContext(ctx, append([]string{"git-federate"}, interspersed(app, args)...))
	return stdio.exit(err)
}

// exitCode prints err once, as "error: ...", and maps it to an exit status.
func exitCode(err error, errOut io.Writer) int { return IO{Err: errOut}.exit(err) }

// exit is exitCode in the language of stdio.P.
func (stdio IO) exit(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	code := ExitFailure
	if errors.As(err, &ee) {
		code = ee.Code
	}
	// A git child's exit status (128, an *exec.ExitError) is not ours:
	// only the command line's own errors carry one.
	var ce cli.ExitCoder
	var xe *exec.ExitError
	if errors.As(err, &ce) && ee == nil && !errors.As(err, &xe) {
		code = ce.ExitCode()
		err = cliError(err)
	}
	if msg := stdio.P.Error(err); msg != "" {
		stdio.P.Fprintf(stdio.Err, "error: %s\n", msg)
	}
	return code
}

// cliError is an error urfave/cli made in the user's language.
func cliError(err error) error {
	msg := err.Error()
	if topic, ok := strings.CutPrefix(msg, "No help topic for '"); ok && strings.HasSuffix(topic, "'") && !strings.Contains(topic, "'.") {
		return i18n.Errorf("No help topic for '%s'", strings.TrimSuffix(topic, "'"))
	}
	return err
}

// NewApp builds the urfave/cli application.
func NewApp(stdio IO) *cli.App {
	app := &cli.App{
		Name:      "git federate",
		HelpName:  "git federate",
		Usage:     "one git remote for a whole federation of servers",
		UsageText: "git federate <command> [options]",
		Description: "git-remote-federate makes one remote stand for an origin and its mirrors:\n" +
			"`git clone federate::<name>` fetches from the origin, `git push` updates the\n" +
			"origin and every mirror. Tokens live in the OS keyring.\n\n" +
			"Exit status: 0 success, 1 failure, 2 usage error, 3 partial (some mirrors failed).\n" +
			"Shell completion: see `git federate completion --help`.",
		Reader:      stdio.In,
		Writer:      stdio.Out,
		ErrWriter:   stdio.Err,
		HideVersion: true,
		// urfave/cli calls os.Exit from Run unless told not to; Main maps
		// errors to exit statuses itself.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		// Without a root Action urfave answers an unknown command with
		// help and exit 0 (or 3 without CommandNotFound); both lie.
		Action: rootAction,
		// urfave's own help command answers `help <unknown>` with exit 0;
		// ours is a usage error. Naming it "help" stops urfave adding its
		// own, and its --help flag with it, so that flag is given here.
		Flags: []cli.Flag{cli.HelpFlag,
			&cli.BoolFlag{Name: "version", Usage: "print the version, as the version command does"}},
		Commands: append(commands(stdio), helpCommand()),
	}
	localizeHelp(app, stdio.P)
	return app
}

// helpCommand is `git federate help [command]`.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:            "help",
		Aliases:         []string{"h"},
		Usage:           "show the commands, or the help of one command",
		ArgsUsage:       "[command]",
		HideHelpCommand: true,
		OnUsageError:    onUsageError,
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 0, 1, "[command]"); err != nil {
				return err
			}
			root := c.Lineage()[1]
			if !c.Args().Present() {
				return cli.ShowAppHelp(root)
			}
			name := c.Args().First()
			if c.App.Command(name) == nil {
				return notACommand(c.App, name)
			}
			return cli.ShowCommandHelp(root, name)
		},
	}
}

// rootAction runs for `git federate` alone (help) or with a word that is
// no command (a usage error).
func rootAction(c *cli.Context) error {
	if c.Bool("version") {
		if c.Args().Present() {
			return UsageError("--version takes no arguments")
		}
		return printVersion(c.Context, IO{Out: c.App.Writer})
	}
	if c.Args().Present() {
		return notACommand(c.App, c.Args().First())
	}
	return cli.ShowAppHelp(c)
}

// onUsageError turns urfave's flag-parsing errors into exit status 2 with
// a pointer to the help of the command concerned.
func onUsageError(c *cli.Context, err error, isSubcommand bool) error {
	help, flags := "git federate --help", c.App.Flags
	if isSubcommand && c.Command != nil && c.Command.Name != "" {
		help, flags = "git federate "+c.Command.Name+" --help", c.Command.Flags
	}
	if near := nearFlags(err, flags); near != "" { // "; did you mean …?"
		return &ExitError{Code: ExitUsage, Err: i18n.Errorf("%w%s See '%s'.", withDashes(err), near, help)}
	}
	return &ExitError{Code: ExitUsage, Err: i18n.Errorf("%w. See '%s'.", withDashes(err), help)}
}

// nearFlags is the "did you mean" of an unknown option: the options of
// flags nearest to it, as a misspelt command gets the nearest commands.
func nearFlags(err error, flags []cli.Flag) string {
	m := flagErrorRE().FindStringSubmatch(err.Error())
	if m == nil || len(m[1]) < 3 {
		return "" // -q is near every one-letter option, and means none of them
	}
	var names []string
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) > 1 {
				names = append(names, dashed(n))
			}
		}
	}
	return federation.DidYouMean(dashed(m[1]), names)
}

// dashed is a flag's name as typed: two dashes before a long name, one
// before a one-letter name.
func dashed(name string) string {
	if len(name) > 1 {
		return "--" + name
	}
	return "-" + name
}

// withDashes words the errors of Go's flag package, which urfave/cli
// passes on, in the user's language, and restores the dashes of the flag
// they name: the flag package reports `--bogus` as "-bogus", which the
// user never typed. A long name gets two dashes, a one-letter name one.
func withDashes(err error) error {
	msg := err.Error()
	m := flagErrorRE().FindStringSubmatch(msg)
	if m == nil {
		return err
	}
	switch {
	case m[1] != "":
		return i18n.Errorf("unknown option %s", dashed(m[1]))
	case m[2] != "":
		return i18n.Errorf("flag needs an argument: %s", dashed(m[2]))
	case m[5] != "":
		return i18n.Errorf("invalid boolean value %q for %s: %s", unquote(m[4]), dashed(m[5]), flagWhy(m[6]))
	case m[8] != "":
		return i18n.Errorf("invalid value %q for flag %s: %s", unquote(m[7]), dashed(m[8]), flagWhy(m[9]))
	}
	return i18n.Errorf("bad flag syntax: %s", m[10])
}

// flagErrorRE matches the errors of Go's flag package. Like every
// regular expression of the program's packages, it is compiled at first
// use, not in every process's start (each fetch's helper, each shard).
var flagErrorRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:flag provided but not defined: -(.+)` +
		`|flag needs an argument: -(.+)` +
		`|(invalid boolean value ("(?:[^"\\]|\\.)*") for -([^:]+): (.*))` +
		`|invalid value ("(?:[^"\\]|\\.)*") for flag -([^:]+): (.*)` +
		`|bad flag syntax: (.*))$`)
})

// flagWhy is why the flag package refused a value: its two words of its
// own translated, any other (a flag type's own error) as it is.
func flagWhy(why string) any {
	switch why {
	case "parse error":
		return i18n.M("parse error")
	case "value out of range":
		return i18n.M("value out of range")
	}
	return why
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// commands lists every command; each lives in its own file.
func commands(stdio IO) []*cli.Command {
	var cmds []*cli.Command
	for _, mk := range []func(IO) *cli.Command{
		addCommand, removeCommand, listCommand,
		statusCommand, syncCommand,
		loginCommand, logoutCommand, authCommand,
		tokenCommand, importGitblitCommand,
		serveCommand, hookCommand, doctorCommand, demoCommand, completionCommand, manCommand, versionCommand,
	} {
		if c := mk(stdio); c != nil {
			harden(c)
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// harden gives a command the app's usage-error handling, which urfave does
// not pass down to commands, and turns its required flags into a check
// that fails with exit status 2 (urfave's own check exits 1).
func harden(c *cli.Command) {
	if c.OnUsageError == nil {
		c.OnUsageError = onUsageError
	}
	// urfave would add a "help" subcommand, so `add help` would show help
	// instead of adding a federation called help; --help stays.
	c.HideHelpCommand = true
	var required []string
	for _, f := range c.Flags {
		if rf, ok := f.(interface{ IsRequired() bool }); ok && rf.IsRequired() {
			required = append(required, f.Names()[0])
			unrequire(f)
		}
	}
	if len(required) == 0 {
		return
	}
	before := c.Before
	c.Before = func(ctx *cli.Context) error {
		for _, name := range required {
			if !ctx.IsSet(name) {
				return UsageError("--%s is required. See 'git federate %s --help'.", name, c.Name)
			}
		}
		if before != nil {
			return before(ctx)
		}
		return nil
	}
}

// unrequire clears Required on the flag types this program uses.
func unrequire(f cli.Flag) {
	switch f := f.(type) {
	case *cli.StringFlag:
		f.Required = false
	case *cli.StringSliceFlag:
		f.Required = false
	case *cli.BoolFlag:
		f.Required = false
	case *cli.IntFlag:
		f.Required = false
	case *cli.DurationFlag:
		f.Required = false
	case *cli.PathFlag:
		f.Required = false
	}
}

// wantArgs checks the number of positional arguments of a command: at
// least min and, when max >= 0, at most max.
func wantArgs(c *cli.Context, min, max int, usage string) error {
	n := c.NArg()
	if n < min || (max >= 0 && n > max) {
		return UsageError("usage: %s (see 'git federate %s --help')", strings.TrimSpace("git federate "+c.Command.Name+" "+usage), c.Command.Name)
	}
	return nil
}

// interspersed moves a command's flags before its positional arguments:
// urfave/cli v2 stops parsing flags at the first positional one, so
// `git federate add NAME --origin URL` would otherwise ignore --origin.
// Everything after "--" stays positional.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	cmd := app.Command(args[0])
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		tv, ok := f.(cli.DocGenerationFlag)
		for _, n := range f.Names() {
			takesValue[n] = ok && tv.TakesValue()
		}
	}
	var flags, pos []string
	dashdash, help := false, false
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			pos = append(pos, rest[i+1:]...)
			dashdash = true
			i = len(rest)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			help = help || a == "-h" || a == "--help"
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(rest) {
				flags = append(flags, rest[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	out := append([]string{args[0]}, flags...)
	if help {
		return out // urfave would read the arguments as a help topic
	}
	if dashdash {
		out = append(out, "--")
	}
	return append(out, pos...)
}
