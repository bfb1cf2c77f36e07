package fedcmd

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// errNotInRepo is returned when repository config is asked for outside a
// repository.
var errNotInRepo = i18n.Errorf("not in a git repository: run this inside one, or add --global to use your global git config")

// validName is what this program accepts as a federation name. git allows
// any subsection name, but the name also appears in federate::<name>
// URLs, where '/' or ':' would make it look like a URL. Compiled at
// first use.
var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`) })

// checkName refuses names that cannot be used in federate::<name>.
func checkName(name string) error {
	switch {
	case name == "":
		return UsageError("a federation name is required")
	case strings.HasPrefix(name, "-"):
		return UsageError("federation name %q begins with '-'", name)
	case len(name) > 100:
		return UsageError("federation name is longer than 100 characters")
	case !validName().MatchString(name):
		return UsageError("federation name %q: use letters, digits, '.', '_' and '-' only (no spaces, '/' or ':')", name)
	}
	return nil
}

// checkOption validates one --set key=value and returns the canonical key.
func checkOption(kv string) (key, value string, err error) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return "", "", UsageError("--set %q: want key=value", kv)
	}
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if lk := strings.ToLower(k); lk == "origin" || lk == "mirror" {
		return "", "", UsageError("--set %s: use --%s instead", k, lk)
	}
	ck, known := federation.LookupKey(federation.SectionFederation, k)
	if !known {
		return "", "", UsageError("--set %s: unknown key; known keys: %s", k, strings.Join(setKeys(), ", "))
	}
	if v == "" && !ck.Multi {
		// git reads an empty boolean as true (the only single value an
		// empty string passes); on a command line it is a value left out.
		return "", "", UsageError("--set %s=: want true or false", ck.Name)
	}
	if err := ck.Check(v); err != nil {
		return "", "", UsageError("--set %s=%s: %w", ck.Name, v, err)
	}
	return ck.Name, v, nil
}

// setKeys are the keys --set takes: every federation key but origin and
// mirror, which have flags of their own.
func setKeys() []string {
	var keys []string
	for _, k := range federation.KeyNames(federation.SectionFederation) {
		if k != "origin" && k != "mirror" {
			keys = append(keys, k)
		}
	}
	return keys
}

// scope is where in git config a command reads or writes.
type scope struct {
	Global bool
	Dir    string // where git runs; "" is the current directory
}

func (s scope) flag() string {
	if s.Global {
		return "--global"
	}
	return "--local"
}

func (s scope) String() string {
	if s.Global {
		return "global"
	}
	return "repository"
}

func (s scope) runner() gitexec.Runner { return gitexec.Runner{Dir: s.Dir} }

// check fails with errNotInRepo when repository scope is used outside one.
func (s scope) check(ctx context.Context) error {
	if s.Global {
		return nil
	}
	if err := s.runner().Run(ctx, "rev-parse", "--git-dir"); err != nil {
		return errNotInRepo
	}
	return nil
}

// hasSection reports whether section.name has any key in this scope.
func (s scope) hasSection(ctx context.Context, section, name string) (bool, error) {
	re := "^" + section + `\.` + regexp.QuoteMeta(name) + `\.`
	out, err := s.runner().Output(ctx, "config", s.flag(), "--name-only", "--get-regexp", re)
	var ge *gitexec.Error
	if errors.As(err, &ge) && ge.ExitCode == 1 {
		return false, nil // no such key
	}
	if err != nil {
		return false, err
	}
	return len(out) > 0, nil
}

// values is every value of key in this scope (none: nil).
func (s scope) values(ctx context.Context, key string) ([]string, error) {
	out, err := s.runner().Output(ctx, "config", s.flag(), "-z", "--get-all", "--", key)
	var ge *gitexec.Error
	if errors.As(err, &ge) && ge.ExitCode == 1 {
		return nil, nil // no such key
	}
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"), nil
}

// add appends one value to a key in this scope.
func (s scope) add(ctx context.Context, key, value string) error {
	return s.runner().Run(ctx, "config", s.flag(), "--add", "--", key, value)
}

// removeSection deletes section.name in this scope; (false, nil) when it
// was not there.
func (s scope) removeSection(ctx context.Context, section, name string) (bool, error) {
	ok, err := s.hasSection(ctx, section, name)
	if err != nil || !ok {
		return false, err
	}
	return true, s.runner().Run(ctx, "config", s.flag(), "--remove-section", "--", section+"."+name)
}
