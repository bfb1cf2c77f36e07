package gitexec

import (
	"context"
	"errors"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// ConfigEntry is one key of `git config -z` output, in git's order.
type ConfigEntry struct {
	// Scope is where the key is set ("local", "global", "system", …),
	// when read with --show-scope; "" otherwise.
	Scope string
	Key   string
	Value string
}

// ParseConfigZ splits `git config -z` output into entries: each record is
// "key\nvalue\x00", or "key\x00" for a key with no value. With showScope
// (output of --show-scope) every record is preceded by "scope\x00".
func ParseConfigZ(out []byte, showScope bool) []ConfigEntry {
	// One string for all: the entries are pieces of it. A config of
	// 10,000 federations is 50,000 entries, each a copy and a slice of
	// its own before.
	rest := string(out)
	per := 1
	if showScope {
		per = 2
	}
	entries := make([]ConfigEntry, 0, strings.Count(rest, "\x00")/per)
	next := func() (string, bool) {
		if rest == "" {
			return "", false
		}
		rec, after, _ := strings.Cut(rest, "\x00")
		rest = after
		return rec, true
	}
	for {
		var e ConfigEntry
		rec, ok := next()
		if showScope && ok {
			e.Scope = rec
			rec, ok = next()
		}
		if !ok {
			return entries
		}
		if rec == "" {
			continue
		}
		e.Key, e.Value, _ = strings.Cut(rec, "\n")
		entries = append(entries, e)
	}
}

// ConfigRegexp runs `git config -z --get-regexp re` (with --show-scope
// when showScope) and returns its entries; none, without error, when no
// key matches. git runs it with --no-pager: its output goes to a pipe,
// and finding the pager's setting read the whole config once more (a
// sixth of the run over 5,000 lines).
func (r Runner) ConfigRegexp(ctx context.Context, re string, showScope bool) ([]ConfigEntry, error) {
	args := []string{"--no-pager", "config", "-z"}
	if showScope {
		args = append(args, "--show-scope")
	}
	out, err := r.Output(ctx, append(args, "--get-regexp", re)...)
	var ge *Error
	if errors.As(err, &ge) && ge.ExitCode == 1 && ge.Stderr == "" {
		return nil, nil // git config says "no match" with exit 1
	}
	if err != nil {
		return nil, err
	}
	return ParseConfigZ(out, showScope), nil
}

// ParseBool reads a git config boolean as git does: true, yes, on, 1 or
// an empty value (a key given alone) are true; false, no, off and 0 are
// false, in any case.
func ParseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, i18n.Errorf("%q is not a boolean", v)
}
