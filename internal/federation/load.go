package federation

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// LoadTimeout bounds the `git config` run of Load: it reads local files,
// so only a wedged git takes longer.
const LoadTimeout = 30 * time.Second

// ConfigPattern matches the keys of every section Load reads.
const ConfigPattern = `^(federation|federationset|federate)\.`

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
	r := gitexec.Runner{Git: git, Dir: dir, Timeout: LoadTimeout}
	entries, err := r.ConfigRegexp(ctx, ConfigPattern, false)
	if err != nil {
		return nil, configError(err)
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
	return Parse(entries)
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
