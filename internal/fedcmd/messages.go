package fedcmd

import (
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// failureLabel names what went wrong with a server, for a report line: a
// missing repository or a refused token is not an unreachable server.
func failureLabel(err error) string {
	switch gitexec.Classify(err) {
	case gitexec.KindNotFound:
		return "NOT FOUND"
	case gitexec.KindAuth, gitexec.KindNoWrite:
		return "REFUSED"
	}
	return "UNREACHABLE"
}

// withoutName is err's text without a leading "<name>: ": a report line
// already starts with the name, and "down: FAILED: down: origin" says it
// twice.
func withoutName(name string, err error) string {
	return strings.TrimPrefix(err.Error(), name+": ")
}
