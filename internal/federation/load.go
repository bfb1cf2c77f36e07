package federation

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// LoadTimeout bounds the `git config` run of Load: it reads local files,
// so only a wedged git takes longer.
const LoadTimeout = 30 * time.Second

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
	// `git config --list`, each entry read as git writes it: the
	// federations are parsed while git still reads the rest of its
	// files. --get-regexp matched every key to a pattern, then wrote
	// everything at the end.
	p := newParser(keep)
	var others []Entry
	err := r.ConfigListEach(ctx, func(e Entry) {
		if len(also) > 0 && isAlso(e.Key, sections, keys) {
			others = append(others, e)
			return
		}
		p.add(e)
	})
	if err != nil {
		return nil, nil, configError(err)
	}
	cfg, err := p.finish()
	return cfg, others, err
}

// isAlso reports whether key is one of LoadWith's also: in one of
// sections, or one of keys.
func isAlso(key string, sections, keys []string) bool {
	section, _, _ := strings.Cut(key, ".")
	return slices.Contains(sections, strings.ToLower(section)) || slices.Contains(keys, key)
}

// splitAlso parts LoadWith's also into section names and keys, the
// keys in git's canonical form (section and variable lower case), as
// `git config --list` prints them.
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
