package federation

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// LoadTimeout bounds the `git config` run of Load: it reads local files,
// so only a wedged git takes longer.
const LoadTimeout = 30 * time.Second

// ConfigPattern matches the keys of every section Load reads.
const ConfigPattern = `^(` + configSections + `)\.`

// configSections are the sections Load reads, as a regexp's alternatives.
const configSections = `federation|federationset|federate`

// Load reads every federation, federationset and federate section from
// git config at all scopes, with git's own precedence, by asking git.
// dir is where git runs (a repository, to include its config; "" for
// the current directory).
func Load(ctx context.Context, git, dir string) (*Config, error) {
	return LoadOnly(ctx, git, dir, nil)
}

// LoadOnly is Load keeping only the [federation] sections whose name
// keep accepts (nil: all); sets and hosts are read whole. A shard of
// `sync --all` parses its share of 10,000 federations, and reports the
// mistakes of that share only.
func LoadOnly(ctx context.Context, git, dir string, keep func(name string) bool) (*Config, error) {
	cfg, _, err := LoadWith(ctx, gitexec.Runner{Git: git, Dir: dir}, keep)
	return cfg, err
}

// LoadWith is LoadOnly through r (its git, directory and environment;
// LoadTimeout when it has no timeout), reading in the same `git config`
// run what also names: whole sections (lower case: "http", "url" …) and
// single keys ("remote.origin.lfsurl", whose subsection is matched as
// written, as `git config --get` matches it). Their entries come back
// apart, in git's order. sync reads git's http settings so, and the
// helper the keys it would otherwise ask a `git config --get` each: a
// second run parsed the whole config again.
func LoadWith(ctx context.Context, r gitexec.Runner, keep func(name string) bool, also ...string) (*Config, []Entry, error) {
	if r.Timeout == 0 {
		r.Timeout = LoadTimeout
	}
	sections, keys := splitAlso(also)
	pattern := `^(` + strings.Join(append([]string{configSections}, sections...), "|") + `)\.`
	for _, k := range keys {
		pattern += `|^` + regexp.QuoteMeta(k) + `$`
	}
	entries, err := r.ConfigRegexp(ctx, pattern, false)
	if err != nil {
		return nil, nil, configError(err)
	}
	var others []Entry
	if len(also) > 0 {
		entries = slices.DeleteFunc(entries, func(e Entry) bool {
			section, _, _ := strings.Cut(e.Key, ".")
			if slices.Contains(sections, strings.ToLower(section)) || slices.Contains(keys, e.Key) {
				others = append(others, e)
				return true
			}
			return false
		})
	}
	if keep != nil {
		last, kept := "", false // a section's keys come one after another
		entries = slices.DeleteFunc(entries, func(e Entry) bool {
			section, name, _, ok := SplitKey(e.Key)
			if !ok || section != SectionFederation {
				return false
			}
			if name != last {
				last, kept = name, keep(name)
			}
			return !kept
		})
	}
	cfg, err := Parse(entries)
	return cfg, others, err
}

// splitAlso parts LoadWith's also into section names and keys, the
// keys in git's canonical form (section and variable lower case), as
// `git config --get-regexp` prints and matches them.
func splitAlso(also []string) (sections, keys []string) {
	for _, a := range also {
		i, j := strings.IndexByte(a, '.'), strings.LastIndexByte(a, '.')
		if i < 0 {
			sections = append(sections, strings.ToLower(a))
			continue
		}
		keys = append(keys, strings.ToLower(a[:i])+a[i:j]+strings.ToLower(a[j:]))
	}
	return sections, keys
}

func configError(err error) *ConfigError {
	ce := &ConfigError{Err: err}
	var ge *gitexec.Error
	if errors.As(err, &ge) {
		ce.Stderr = ge.Stderr
	}
	return ce
}

// ConfigError is a failure of git to read its config.
type ConfigError struct {
	Stderr string
	Err    error
}

func (e *ConfigError) Error() string {
	if e.Stderr != "" {
		return "reading git config: " + e.Stderr
	}
	return "reading git config: " + e.Err.Error()
}

func (e *ConfigError) Unwrap() error { return e.Err }
