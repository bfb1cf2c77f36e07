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
	// NoValue marks a key given alone, without "=": git reads it as
	// true, where an empty value ("key =") is false.
	NoValue bool
}

// ParseConfigZ splits `git config -z` output into entries: each record is
// "key\nvalue\x00", or "key\x00" for a key with no value. With showScope
// (output of --show-scope) every record is preceded by "scope\x00".
func ParseConfigZ(out []byte, showScope bool) []ConfigEntry {
	entries := make([]ConfigEntry, 0, bytes.Count(out, []byte{0})/recordsPer(showScope))
	w := configWriter{showScope: showScope, each: func(e ConfigEntry) { entries = append(entries, e) }}
	w.records(string(out))
	return entries
}

func recordsPer(showScope bool) int {
	if showScope {
		return 2
	}
	return 1
}

// configWriter reads `git config -z` output as it is written, giving
// each entry to each: the one reader of that format (ParseConfigZ reads
// it whole). Records are read from one string per write, the entries
// pieces of it: a config of 10,000 federations is 50,000 entries, each
// a copy and a slice of its own before.
type configWriter struct {
	showScope bool
	each      func(ConfigEntry)
	partial   []byte // the start of a record the next write ends
	scope     string // the scope record read, its entry's record not yet
	hasScope  bool
}

func (w *configWriter) Write(p []byte) (int, error) {
	end := bytes.LastIndexByte(p, 0)
	if end < 0 {
		w.partial = append(w.partial, p...)
		return len(p), nil
	}
	w.records(string(append(w.partial, p[:end+1]...)))
	w.partial = append(w.partial[:0], p[end+1:]...)
	return len(p), nil
}

// records reads the whole records of s.
func (w *configWriter) records(s string) {
	for s != "" {
		rec, rest, _ := strings.Cut(s, "\x00")
		s = rest
		if w.showScope && !w.hasScope {
			w.scope, w.hasScope = rec, true
			continue
		}
		w.hasScope = false
		if rec == "" {
			continue
		}
		e := ConfigEntry{Scope: w.scope}
		var hasValue bool
		e.Key, e.Value, hasValue = strings.Cut(rec, "\n")
		e.NoValue = !hasValue
		w.each(e)
	}
}

// ConfigRegexp runs `git config -z --get-regexp re` (with --show-scope
// when showScope) and returns its entries; none, without error, when no
// key matches. git runs it with --no-pager: its output goes to a pipe,
// and finding the pager's setting read the whole config once more (a
// sixth of the run over 5,000 lines).
func (r Runner) ConfigRegexp(ctx context.Context, re string, showScope bool) ([]ConfigEntry, error) {
	var entries []ConfigEntry
	if err := r.configEach(ctx, showScope, func(e ConfigEntry) { entries = append(entries, e) }, "--get-regexp", re); err != nil {
		return nil, err
	}
	return entries, nil
}

// ConfigListEach runs `git config -z --list --show-scope` and gives each
// entry, with its Scope, to each as git writes it, from one goroutine at
// a time, while git still reads the rest of its files: a caller that
// works on every entry does so beside git (--get-regexp writes nothing
// before it has read every file). It returns once git has exited;
// entries given before an error are to be dropped.
func (r Runner) ConfigListEach(ctx context.Context, each func(ConfigEntry)) error {
	return r.configEach(ctx, true, each, "--list")
}

// configEach runs `git config -z` with action, once whatever
// r.BusyRetry says (a local command is not busy, and a second run would
// give each entry again), and gives each entry to each.
func (r Runner) configEach(ctx context.Context, showScope bool, each func(ConfigEntry), action ...string) error {
	args := []string{"--no-pager", "config", "-z"}
	if showScope {
		args = append(args, "--show-scope")
	}
	_, err := r.onceTo(ctx, nil, &configWriter{showScope: showScope, each: each}, append(args, action...))
	var ge *Error
	if errors.As(err, &ge) && ge.ExitCode == 1 && ge.Stderr == "" {
		return nil // git config says "no match" with exit 1
	}
	return err
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
