package federation

import (
	"context"
	"errors"
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
	r := gitexec.Runner{Git: git, Dir: dir, Timeout: LoadTimeout}
	entries, err := r.ConfigRegexp(ctx, ConfigPattern, false)
	if err != nil {
		return nil, configError(err)
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
