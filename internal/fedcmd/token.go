package fedcmd

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/urfave/cli/v2"
)

// TokenOptions are the inputs of `git federate token`.
type TokenOptions struct {
	PassphraseStdin bool
	Sets            []string
}

// gitblitTokenTypes are Gitblit's FederationToken values, in its order.
var gitblitTokenTypes = []string{"ALL", "USERS_AND_REPOSITORIES", "REPOSITORIES"}

// tokenCommand is `git federate token`.
func tokenCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "token",
		Usage:     "print Gitblit-compatible federation tokens for a passphrase",
		ArgsUsage: "--passphrase-stdin [--set NAME...]",
		Description: "Gitblit derives its federation tokens from federation.passphrase:\n" +
			"SHA-1 of \"<passphrase>-ALL\", \"-USERS_AND_REPOSITORIES\", \"-REPOSITORIES\" and\n" +
			"\"-<set name>\" for each federation set, as lower-case hex. The passphrase is\n" +
			"read from stdin so it never appears in argv or shell history.\n\n" +
			"   Example:\n" +
			"     git federate token --passphrase-stdin --set apache < passphrase.txt",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "passphrase-stdin", Usage: "read the passphrase from standard input (required)"},
			&cli.StringSliceFlag{Name: "set", Usage: "also print the token of federation set `NAME` (repeat for more)"},
		},
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 0, 0, "--passphrase-stdin [--set NAME...]"); err != nil {
				return err
			}
			return runToken(stdio, TokenOptions{PassphraseStdin: c.Bool("passphrase-stdin"), Sets: c.StringSlice("set")})
		},
	}
}

func runToken(stdio IO, opts TokenOptions) error {
	if !opts.PassphraseStdin {
		return UsageError("--passphrase-stdin is required (the passphrase never goes in argv): " +
			"printf %%s \"$PASSPHRASE\" | git federate token --passphrase-stdin")
	}
	pass, err := readSecret(stdio.In)
	if err != nil {
		return i18n.Errorf("reading the passphrase from stdin: %w", err)
	}
	if pass == "" {
		return UsageError("the passphrase on stdin is empty (Gitblit disables federation without one)")
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 8, 2, ' ', 0)
	for _, t := range gitblitTokenTypes {
		fmt.Fprintf(tw, "%s\t%s\n", t, GitblitToken(pass, t))
	}
	for _, s := range opts.Sets {
		if s == "" {
			return UsageError("--set needs a set name")
		}
		fmt.Fprintf(tw, "set %s\t%s\n", s, GitblitToken(pass, s))
	}
	return tw.Flush()
}

// GitblitToken is Gitblit's federation token for passphrase and value (a
// token type such as "ALL", or a federation set name): the SHA-1 of
// passphrase + "-" + value, encoded ISO-8859-1 as Gitblit's
// StringUtils.getSHA1 does, in lower-case hex.
func GitblitToken(passphrase, value string) string {
	sum := sha1.Sum(latin1(passphrase + "-" + value))
	return hex.EncodeToString(sum[:])
}

// latin1 encodes s as ISO-8859-1; like Java, characters outside it become '?'.
func latin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}

// readSecret reads all of r (bounded) and drops one trailing newline, so
// `echo secret |` and `printf %s secret |` give the same secret.
func readSecret(r io.Reader) (string, error) {
	if r == nil {
		return "", nil
	}
	b, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}
