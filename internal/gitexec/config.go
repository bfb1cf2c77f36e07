package gitexec

import (
	"bytes"
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
	var entries []ConfigEntry
	recs := bytes.Split(out, []byte{0})
	for i := 0; i < len(recs); i++ {
		var e ConfigEntry
		if showScope {
			e.Scope = string(recs[i])
			i++
			if i >= len(recs) {
				break
			}
		}
		if len(recs[i]) == 0 {
			continue
		}
		e.Key, e.Value, _ = strings.Cut(string(recs[i]), "\n")
		entries = append(entries, e)
	}
	return entries
}

// ConfigRegexp runs `git config -z --get-regexp re` (with --show-scope
// when showScope) and returns its entries; none, without error, when no
// key matches.
func (r Runner) ConfigRegexp(ctx context.Context, re string, showScope bool) ([]ConfigEntry, error) {
	args := []string{"config", "-z"}
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
