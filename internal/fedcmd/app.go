// Package fedcmd is `git federate`: one file per command, each an Options
// struct filled from flags and a run function that tests call directly.
package fedcmd

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// Exit statuses of DESIGN.md.
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

// UsageError reports bad command-line input (exit 2).
func UsageError(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// Partial reports that some mirrors failed and the rest is done (exit 3).
func Partial(err error) error { return &ExitError{Code: ExitPartial, Err: err} }

// IO is the streams commands write to.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// Main runs `git federate` with args and returns the exit status.
func Main(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	stdio := IO{In: in, Out: out, Err: errOut}
	app := NewApp(stdio)
	err := app.RunContext(ctx, append([]string{"git-federate"}, args...))
	return exitCode(err, errOut)
}

func exitCode(err error, errOut io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	code := ExitFailure
	if errors.As(err, &ee) {
		code = ee.Code
	}
	var ce cli.ExitCoder
	if errors.As(err, &ce) && ee == nil {
		code = ce.ExitCode()
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(errOut, "error: %s\n", msg)
	}
	return code
}

// NewApp builds the urfave/cli application.
func NewApp(stdio IO) *cli.App {
	return &cli.App{
		Name:      "git federate",
		HelpName:  "git federate",
		Usage:     "one git remote for a whole federation of servers",
		UsageText: "git federate <command> [options]",
		Description: "git-remote-federate makes one remote stand for an origin and its mirrors:\n" +
			"`git clone federate::<name>` fetches from the origin, `git push` updates the\n" +
			"origin and every mirror. Tokens live in the OS keyring.",
		Reader:               stdio.In,
		Writer:               stdio.Out,
		ErrWriter:            stdio.Err,
		EnableBashCompletion: true,
		// urfave/cli calls os.Exit from Run unless told not to; Main maps
		// errors to exit statuses itself.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &ExitError{Code: ExitUsage, Err: err}
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(stdio.Err, "git federate: %q is not a command. See 'git federate --help'.\n", name)
		},
		Commands: commands(stdio),
	}
}

// commands lists every command; each lives in its own file.
func commands(stdio IO) []*cli.Command {
	var cmds []*cli.Command
	for _, mk := range []func(IO) *cli.Command{
		addCommand, removeCommand, listCommand,
		statusCommand, syncCommand,
		loginCommand, logoutCommand, authCommand,
		doctorCommand, demoCommand,
	} {
		if c := mk(stdio); c != nil {
			cmds = append(cmds, c)
		}
	}
	return cmds
}
